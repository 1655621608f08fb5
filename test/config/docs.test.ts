/**
 * docs/config.md must describe every key as the code does: a row per key with its default, env
 * variable and reloadable flag, no rows for keys that do not exist, and an annotated example that
 * loads to the same configuration as examples/broker.toml.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { CONFIG_KEYS, type ConfigKey, parseConfig } from '../../src/config/index.ts';
import { EXAMPLE_TEXT } from './helpers.ts';

const DOC = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');

interface Row {
  readonly type: string;
  readonly default: string;
  readonly env: string;
  readonly reloadable: string;
}

/** Table rows whose first cell is a backticked key path, by path. */
function keyRows(markdown: string): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // A row "| `path` | type | default | allowed | env | reloadable | text |" splits into 9 cells.
    const match = /^`([a-z_]+(?:\[\])?\.[a-z_]+)`$/.exec(cells[1] ?? '');
    if (match === null || cells.length < 8) continue;
    const [, , type = '', fallback = '', , env = '', reloadable = ''] = cells;
    assert.ok(!rows.has(match[1]!), `docs/config.md lists ${match[1]} twice`);
    rows.set(match[1]!, { type, default: fallback, env, reloadable });
  }
  return rows;
}

function documentedDefault(key: ConfigKey): string {
  if (key.required) return 'required';
  if (key.default === undefined) return 'unset';
  return `\`${typeof key.default === 'string' ? JSON.stringify(key.default) : String(key.default)}\``;
}

const ROWS = keyRows(DOC);

describe('docs/config.md matches the schema', () => {
  test('has a row for every key and none for keys that do not exist', () => {
    assert.deepEqual([...ROWS.keys()].sort(), CONFIG_KEYS.map((k) => k.path).sort());
  });

  for (const key of CONFIG_KEYS) {
    test(`${key.path}: reloadable ${key.reloadable ? 'yes' : 'no'}, default, type and env variable`, () => {
      const row = ROWS.get(key.path);
      assert.ok(row !== undefined, `no row for ${key.path}`);
      assert.equal(row.reloadable, key.reloadable ? 'yes' : 'no');
      assert.equal(row.default, documentedDefault(key));
      assert.equal(row.type, key.type);
      assert.equal(row.env, key.env === undefined ? '—' : `\`${key.env}\``);
    });
  }

  test('the annotated example loads to the same configuration as examples/broker.toml', () => {
    const start = DOC.indexOf('```toml\n# broker.toml');
    assert.ok(start !== -1, 'docs/config.md has no annotated example');
    const body = DOC.slice(start + '```toml\n'.length, DOC.indexOf('```', start + 7));
    assert.deepEqual(parseConfig(body), parseConfig(EXAMPLE_TEXT));
  });
});
