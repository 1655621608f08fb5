import assert from 'node:assert/strict';
import { lstat } from 'node:fs/promises';
import { describe, test } from 'node:test';
import {
  encodeAck,
  encodeHello,
  encodePub,
  encodeSub,
  type Frame,
  Op,
  StartKind,
} from '../../src/protocol/index.ts';
import { errFields, RawClient } from './helpers/raw-client.ts';
import { startTestServer } from './helpers/test-server.ts';

function payloadsOf(frames: Frame[]): string[] {
  return frames.filter((f) => f.op === 'MSG').map((f) => (f.op === 'MSG' ? f.payload.toString() : ''));
}

describe('graceful shutdown', () => {
  test('every confirmed message reaches the subscribers, later publishes get SHUTTING_DOWN, then all close', async (t) => {
    const h = await startTestServer({
      server: { shutdown_grace_ms: 5000 },
      topics: [
        { name: 'news', routing: 'Fanout' },
        { name: 'tasks', routing: 'Queue', ack: 'manual', prefetch: 8 },
      ],
    });
    // The tests here shut the server down themselves; stop() afterwards closes what is left.
    t.after(() => h.stop());
    const fans = [await h.client('fan-1'), await h.client('fan-2', { tcp: true })];
    for (const f of fans) {
      f.send(encodeSub(1, 'news', StartKind.New, 0));
      assert.equal((await f.next()).op, 'SUB_ACK');
    }
    const worker = await h.client('worker');
    worker.send(encodeSub(2, 'tasks', StartKind.New, 0));
    assert.equal((await worker.next()).op, 'SUB_ACK');
    const pubs = [await h.client('pub-1'), await h.client('pub-2', { tcp: true })];
    const n = 100;
    for (const [p, pub] of pubs.entries()) {
      pub.send(
        ...Array.from({ length: n }, (_, i) => encodePub('news', Buffer.from(`n${p}-${i}`), i + 1)),
        ...Array.from({ length: n }, (_, i) => encodePub('tasks', Buffer.from(`t${p}-${i}`), n + i + 1)),
      );
    }
    const confirmed = await Promise.all(pubs.map((pub) => pub.take(2 * n)));
    for (const frames of confirmed) assert.ok(frames.every((f) => f.op === 'PUBACK'));

    // The worker acks slowly-but-surely while the server drains.
    const work = (async () => {
      const got: Frame[] = [];
      for (;;) {
        let f: Frame;
        try {
          f = await worker.next();
        } catch {
          return got;
        }
        got.push(f);
        if (f.op === 'MSG') worker.send(encodeAck(2, f.seq));
      }
    })();

    const done = h.server.shutdown();
    const late = Array.from({ length: 3 }, (_, i) => encodePub('news', Buffer.from('late'), 1000 + i));
    pubs[0]!.send(...late);
    const refused = await pubs[0]!.take(3);
    assert.deepEqual(
      refused.map(errFields),
      [1000, 1001, 1002].map((ref) => ({ code: 'SHUTTING_DOWN', refOp: Op.PUB, ref })),
      'publishes during the drain are refused, not dropped silently',
    );
    await done;

    for (const [i, f] of fans.entries()) {
      const frames = await f.untilClosed();
      const expected = pubs.flatMap((_, p) => Array.from({ length: n }, (_, k) => `n${p}-${k}`));
      assert.deepEqual(
        payloadsOf(frames).sort(),
        expected.sort(),
        `subscriber ${i} got every confirmed message`,
      );
      assert.equal(errFields(frames.at(-1)!).code, 'SHUTTING_DOWN', 'the last frame says why');
    }
    const tasks = await work;
    const taskPayloads = payloadsOf(tasks);
    assert.equal(new Set(taskPayloads).size, 2 * n, 'every confirmed queue message was delivered');
    assert.equal(errFields(tasks.at(-1)!).code, 'SHUTTING_DOWN');
    assert.equal(h.server.broker.topicStats('tasks').inFlight, 0, 'and acked before the close');

    const reasons = new Set(h.closes.map((c) => c.reason));
    assert.deepEqual([...reasons], ['SHUTTING_DOWN']);
    await assert.rejects(lstat(h.server.addresses.unix), { code: 'ENOENT' }, 'the socket file is removed');
    await assert.rejects(RawClient.connect(h.tcp), 'the TCP listener is closed');
  });

  test('shutdown waits at most shutdown_grace_ms for acks that never come', async (t) => {
    const h = await startTestServer({
      server: { shutdown_grace_ms: 100 },
      topics: [{ name: 'stuck', routing: 'Queue', ack: 'manual' }],
    });
    t.after(() => h.stop());
    const lazy = await h.client('lazy');
    lazy.send(encodeSub(1, 'stuck', StartKind.New, 0));
    await lazy.next();
    const pub = await h.client('pub');
    pub.send(encodePub('stuck', Buffer.from('never acked'), 1));
    await pub.next();
    assert.equal((await lazy.next()).op, 'MSG');
    await h.server.shutdown();
    const rest = await lazy.untilClosed();
    assert.equal(errFields(rest.at(-1)!).code, 'SHUTTING_DOWN');
    assert.equal((await h.closeOf('lazy')).reason, 'SHUTTING_DOWN');
  });

  test('a client that connects before the drain but says HELLO during it is refused with SHUTTING_DOWN', async (t) => {
    const h = await startTestServer();
    t.after(() => h.stop());
    const c = await RawClient.connect(h.unix);
    const done = h.server.shutdown();
    c.send(encodeHello('too-late'));
    const frames = await c.untilClosed();
    assert.equal(errFields(frames[0]!).code, 'SHUTTING_DOWN');
    await done;
  });
});
