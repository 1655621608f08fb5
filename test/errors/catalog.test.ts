import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CATALOG, type ErrorCode, MyceliumError, codeFromWire } from '../../src/errors.ts';

/** Rows of the table in docs/errors.md: | `CODE` | wire | fatal | description | */
function documentedCodes(): Map<string, { wire: number; fatal: boolean }> {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, { wire: number; fatal: boolean }>();
  for (const match of doc.matchAll(/^\| `([A-Z_]+)` \| (\d+) \| (yes|no) \|/gm)) {
    rows.set(match[1]!, { wire: Number(match[2]), fatal: match[3] === 'yes' });
  }
  return rows;
}

describe('error catalog', () => {
  it('docs/errors.md lists every code with its wire number and fatal flag, and nothing else', () => {
    const documented = documentedCodes();
    const catalog = new Map(
      (Object.keys(ERROR_CATALOG) as ErrorCode[]).map((code) => [
        code as string,
        { wire: ERROR_CATALOG[code].wire, fatal: ERROR_CATALOG[code].fatal as boolean },
      ]),
    );
    assert.deepEqual(documented, catalog);
  });

  it('wire codes are unique so a number always maps back to one code', () => {
    const wires = Object.values(ERROR_CATALOG).map((spec) => spec.wire);
    assert.equal(new Set(wires).size, wires.length);
    for (const code of Object.keys(ERROR_CATALOG) as ErrorCode[]) {
      assert.equal(codeFromWire(ERROR_CATALOG[code].wire), code);
    }
    assert.equal(codeFromWire(9999), undefined);
  });

  it('an error carries its code, wire number, fatal flag and chained cause', () => {
    const cause = new Error('root');
    const err = new MyceliumError('TOPIC_NOT_FOUND', 'no topic "x"', { cause });
    assert.equal(err.code, 'TOPIC_NOT_FOUND');
    assert.equal(err.wire, 200);
    assert.equal(err.fatal, false);
    assert.equal(err.cause, cause);
    assert.ok(err instanceof Error);
  });
});
