/**
 * docs/protocol.md stays true to the code: the §7 hex is what the encoders write, the §4 table is
 * the error catalog, the §1.4 and §5 tables are the op codes and limits, and every clause the code
 * cites exists.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ERROR_CATALOG, type ErrorCode } from '../../src/errors.ts';
import * as protocol from '../../src/protocol/index.ts';

const DOC = readFileSync(join(import.meta.dirname, '../../docs/protocol.md'), 'utf8');

/** The text of `## §n ...` up to the next `## ` heading. */
function section(n: number): string {
  const start = DOC.indexOf(`\n## §${n} `);
  assert.ok(start >= 0, `docs/protocol.md has no section §${n}`);
  const end = DOC.indexOf('\n## ', start + 1);
  return DOC.slice(start, end < 0 ? undefined : end);
}

/** The bytes of every ```hex block of `text`, comments (after #) dropped. */
function hexBlocks(text: string): string[] {
  return [...text.matchAll(/```hex\n([\s\S]*?)```/g)].map((m) =>
    m[1]!
      .split('\n')
      .map((line) => line.split('#')[0]!.replace(/\s+/g, ''))
      .join(''),
  );
}

describe('docs/protocol.md matches the code', () => {
  test('§7: every worked example is exactly what the encoders write', () => {
    const expected = [
      protocol.encodeHello('demo', 's3cret'),
      protocol.encodeWelcome(8388608, 10000, 'mycelium'),
      protocol.encodeSub(1, 'orders'),
      protocol.encodeSubAck(1, 1),
      protocol.encodePub('orders', Buffer.from('hello'), 1),
      protocol.encodeMsg(1, 1, Buffer.from('hello')),
      protocol.encodePubAck(1, 1),
      protocol.encodePub('invoices', Buffer.from('x'), 2),
      protocol.encodeErr('TOPIC_NOT_FOUND', protocol.Op.PUB, 2, 'no topic "invoices"'),
    ].map((b) => b.toString('hex'));
    assert.deepEqual(hexBlocks(section(7)), expected);
  });

  test('§7: the examples decode as the conversation they describe', () => {
    const blocks = hexBlocks(section(7)).map((h) => Buffer.from(h, 'hex'));
    const [hello, welcome, sub, subAck, pub, msg, pubAck, pub2, err] = blocks;
    const toServer = Buffer.concat([hello!, sub!, pub!, pub2!]);
    const toClient = Buffer.concat([welcome!, subAck!, msg!, pubAck!, err!]);
    const server = protocol.decodeAll(toServer, 'server', { enforceHandshake: true });
    const client = protocol.decodeAll(toClient, 'client', { enforceHandshake: true });
    assert.deepEqual(
      server.map((f) => f.op),
      ['HELLO', 'SUB', 'PUB', 'PUB'],
    );
    assert.deepEqual(
      client.map((f) => f.op),
      ['WELCOME', 'SUB_ACK', 'MSG', 'PUBACK', 'ERR'],
    );
  });

  test('§4: the error table lists every catalog code with its wire number and fatality', () => {
    const rows = [...section(4).matchAll(/^\| `([A-Z_]+)` \| (\d+) \| (yes|no) \|/gm)];
    const documented = Object.fromEntries(
      rows.map((m) => [m[1], { wire: Number(m[2]), fatal: m[3] === 'yes' }]),
    );
    const catalog = Object.fromEntries(
      (Object.keys(ERROR_CATALOG) as ErrorCode[]).map((c) => [
        c,
        { wire: ERROR_CATALOG[c].wire, fatal: ERROR_CATALOG[c].fatal },
      ]),
    );
    assert.deepEqual(documented, catalog);
  });

  test('§1.4: the op table lists every op with its code and sender', () => {
    const rows = [...section(1).matchAll(/^\| 0x([0-9a-f]{2}) \| ([A-Z_]+) \| (client|server|either) \|/gm)];
    const documented = rows.map((m) => [m[2], Number.parseInt(m[1]!, 16), m[3]]);
    const actual = (Object.keys(protocol.Op) as protocol.OpName[]).map((name) => {
      const op = protocol.Op[name];
      const byClient = protocol.accepts('server', op);
      const byServer = protocol.accepts('client', op);
      return [name, op, byClient && byServer ? 'either' : byClient ? 'client' : 'server'];
    });
    assert.deepEqual(documented, actual);
  });

  test('§5: every named limit has the value of its constant', () => {
    const rows = [...section(5).matchAll(/^\| `([A-Z_]+)` \| (\d+) \|/gm)];
    assert.ok(rows.length >= 10);
    const exported = protocol as unknown as Record<string, unknown>;
    for (const [, name, value] of rows) assert.equal(exported[name!], Number(value), name);
  });

  test('§5: the length bounds table is the decoder table', () => {
    const rows = [...section(5).matchAll(/^\| ([A-Z_, ]+) \| (\d+) \| (\d+|max frame size) \|/gm)];
    const seen: string[] = [];
    for (const [, names, min, max] of rows) {
      for (const name of names!.split(', ')) {
        const [lo, hi] = protocol.OP_LENGTH_BOUNDS[protocol.Op[name as protocol.OpName]];
        assert.equal(lo, Number(min), name);
        assert.equal(hi, max === 'max frame size' ? protocol.MAX_FRAME_LENGTH_FIELD : Number(max), name);
        seen.push(name);
      }
    }
    assert.deepEqual(seen.sort(), Object.keys(protocol.Op).sort());
  });

  test('every clause cited in src/protocol exists in the document', () => {
    const dir = join(import.meta.dirname, '../../src/protocol');
    const headings = new Set([...DOC.matchAll(/^#{2,3} (§[\d.]+)/gm)].map((m) => m[1]));
    for (const file of readdirSync(dir)) {
      const source = readFileSync(join(dir, file), 'utf8');
      for (const [clause] of source.matchAll(/§\d+(\.\d+)?/g)) {
        assert.ok(headings.has(clause), `${file} cites ${clause}, which docs/protocol.md does not have`);
      }
    }
  });
});
