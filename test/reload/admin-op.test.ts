/**
 * The RELOAD admin op over real sockets (docs/protocol.md §3.15, §3.16, §6.8): who may use it,
 * what the answer carries, and that refusing it never costs the connection.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  encodeAck,
  encodePing,
  encodePub,
  encodeReload,
  encodeSub,
  MAX_REPORT_TEXT,
  Op,
  ReloadStatus,
} from '../../src/protocol/index.ts';
import { ERROR_CATALOG } from '../../src/errors.ts';
import { errFields, type RawClient } from '../server/helpers/raw-client.ts';
import { startTestServer } from '../server/helpers/test-server.ts';
import { type FileServer, startFromFile } from './helpers/file-server.ts';

let h: FileServer | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function stillOpen(c: RawClient): Promise<void> {
  c.send(encodePing());
  assert.deepEqual(await c.next(), { op: 'PONG' });
}

describe('who may send RELOAD (§6.8)', () => {
  test('on TCP without an auth_token configured it is NOT_PERMITTED, and the connection stays open', async () => {
    h = await startFromFile({});
    const c = await h.client('tcp-admin', { tcp: true });
    c.send(encodeReload(42));
    assert.deepEqual(errFields(await c.next()), { code: 'NOT_PERMITTED', refOp: Op.RELOAD, ref: 42 });
    await stillOpen(c);
    assert.deepEqual(h.reloads, [], 'a refused RELOAD reloaded something');
  });

  test('on the Unix socket it is answered with RELOAD_RESULT carrying the request id and the report', async () => {
    h = await startFromFile({});
    const c = await h.client('unix-admin');
    await h.write({ server: { max_connections: 9 } });
    c.send(encodeReload(7));
    const answer = await c.next();
    assert.ok(answer.op === 'RELOAD_RESULT');
    assert.equal(answer.requestId, 7);
    assert.equal(answer.status, ReloadStatus.Applied);
    assert.equal(answer.code, 0);
    assert.match(
      answer.text,
      /^reload applied \(admin op, connection \d+\): 1 change from .*\n {2}server\.max_connections: 1000 -> 9$/,
    );
    assert.equal(h.server.config.server.max_connections, 9);
  });

  test('a rejected reload is RELOAD_RESULT status 2 with the code and problems', async () => {
    h = await startFromFile({});
    const c = await h.client('unix-admin');
    await h.write('[server\n');
    c.send(encodeReload(1));
    const answer = await c.next();
    assert.ok(answer.op === 'RELOAD_RESULT');
    assert.equal(answer.status, ReloadStatus.Rejected);
    assert.equal(answer.code, ERROR_CATALOG.CONFIG_PARSE.wire);
    assert.match(
      answer.text,
      /^reload rejected \(admin op, connection \d+, CONFIG_PARSE\): the running configuration is unchanged\n {2}.*broker\.toml:1:/,
    );
    await stillOpen(c);
  });

  test('on TCP with the token it is permitted, across reloads, until one replaces the token', async () => {
    h = await startFromFile({ server: { auth_token: 'first-token' } });
    const old = await h.client('old', { tcp: true, token: 'first-token' });
    old.send(encodeReload(1));
    const first = await old.next();
    assert.ok(first.op === 'RELOAD_RESULT' && first.status === ReloadStatus.Unchanged);

    // A reload that leaves the token alone leaves the connection's rights alone.
    await h.write({ server: { auth_token: 'first-token', max_connections: 10 } });
    old.send(encodeReload(10));
    const other = await old.next();
    assert.ok(other.op === 'RELOAD_RESULT' && other.status === ReloadStatus.Applied);
    old.send(encodeReload(11));
    const again = await old.next();
    assert.ok(again.op === 'RELOAD_RESULT' && again.status === ReloadStatus.Unchanged, JSON.stringify(again));

    await h.write({ server: { auth_token: 'second-token', max_connections: 10 } });
    old.send(encodeReload(2));
    const rotated = await old.next();
    assert.ok(rotated.op === 'RELOAD_RESULT' && rotated.status === ReloadStatus.Applied);
    assert.match(rotated.text, /server\.auth_token: changed/);
    assert.ok(!rotated.text.includes('second-token'));

    old.send(encodeReload(3));
    assert.deepEqual(errFields(await old.next()), { code: 'NOT_PERMITTED', refOp: Op.RELOAD, ref: 3 });
    await stillOpen(old);
    const fresh = await h.client('new', { tcp: true, token: 'second-token' });
    fresh.send(encodeReload(4));
    const answer = await fresh.next();
    assert.ok(answer.op === 'RELOAD_RESULT' && answer.requestId === 4);
  });

  test('a server started without a file answers RELOAD with status 2 and CONFIG_READ', async () => {
    const t = await startTestServer();
    try {
      const c = await t.client('admin');
      c.send(encodeReload(5));
      const answer = await c.next();
      assert.ok(answer.op === 'RELOAD_RESULT');
      assert.equal(answer.status, ReloadStatus.Rejected);
      assert.equal(answer.code, ERROR_CATALOG.CONFIG_READ.wire);
    } finally {
      await t.stop();
    }
  });

  test('during a shutdown RELOAD is answered SHUTTING_DOWN and nothing is reloaded', async () => {
    h = await startFromFile({
      server: { shutdown_grace_ms: 600_000 },
      topics: [{ name: 'jobs', routing: 'Queue', ack: 'manual' }],
    });
    const worker = await h.client('worker');
    worker.send(encodeSub(1, 'jobs'), encodePub('jobs', Buffer.from('held'), 1));
    const frames = await worker.take(3); // SUB_ACK, PUBACK and the MSG it holds unacked
    const msg = frames.find((f) => f.op === 'MSG');
    assert.ok(msg?.op === 'MSG');
    const shutdown = h.server.shutdown();
    worker.send(encodeReload(11));
    assert.deepEqual(errFields(await worker.next()), { code: 'SHUTTING_DOWN', refOp: Op.RELOAD, ref: 11 });
    worker.send(encodeAck(1, msg.seq));
    await shutdown;
    assert.deepEqual(h.reloads, []);
  });
});

describe('the answer', () => {
  test('frames sent after RELOAD are handled meanwhile; the answer is matched by its request id', async () => {
    h = await startFromFile({ topics: [{ name: 't' }] });
    const c = await h.client('pipelined');
    c.send(encodeReload(99), encodePub('t', Buffer.from('x'), 5), encodePing());
    const frames = await c.take(3);
    assert.deepEqual(frames.map((f) => f.op).sort(), ['PONG', 'PUBACK', 'RELOAD_RESULT']);
    const answer = frames.find((f) => f.op === 'RELOAD_RESULT');
    assert.ok(answer?.op === 'RELOAD_RESULT' && answer.requestId === 99);
  });

  test('a report longer than MAX_REPORT_TEXT is cut at a line boundary and says how much is left out', async () => {
    h = await startFromFile({});
    const many = Array.from({ length: 150 }, (_, i) => ({
      name: `topic.number.${String(i).padStart(3, '0')}`,
    }));
    await h.write({ topics: many });
    const c = await h.client('admin');
    c.send(encodeReload(1));
    const answer = await c.next();
    assert.ok(answer.op === 'RELOAD_RESULT');
    assert.ok(Buffer.byteLength(answer.text) <= MAX_REPORT_TEXT);
    const lines = answer.text.split('\n');
    const last = lines.at(-1)!;
    const left = Number(/^ {2}\.\.\. (\d+) more lines? in the server log$/.exec(last)?.[1]);
    assert.equal(lines.length - 2 + left, 150, 'shown plus left out is every change');
    for (const line of lines.slice(1, -1))
      assert.match(line, /^ {2}topic "topic\.number\.\d{3}": added \(Fanout\)$/);
    assert.equal(h.reloads[0]!.changes.length, 150, 'the event and the log have the whole report');
  });
});
