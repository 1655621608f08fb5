/**
 * performance.publisher_stall_ms: a publish that finds a fanout subscriber backed up pauses the
 * publisher until that subscriber drains, for at most the bound; a subscriber stuck past the
 * bound pauses no one again until it drains.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodePub, encodeSub, type Frame, StartKind } from '../../src/protocol/index.ts';
import type { RawClient } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

async function subscribe(h: TestServer, name: string, topic: string): Promise<RawClient> {
  const c = await h.client(name);
  c.send(encodeSub(1, topic, StartKind.New, 0));
  assert.equal((await c.next()).op, 'SUB_ACK');
  return c;
}

function pausesOf(h: TestServer, name: string): number {
  const info = h.server.connections.list().find((c) => c.clientName === name);
  assert.ok(info, `connection ${name} is live`);
  return info.publisherPauses;
}

/** `count` publishes of `size` bytes carrying their index; the last one is confirmed with id 1. */
function pubs(topic: string, from: number, count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const payload = Buffer.alloc(size);
    payload.writeUInt32BE(from + i, 0);
    return encodePub(topic, payload, i === count - 1 ? 1 : 0);
  });
}

/** Reads until `total` messages are accounted for, as deliveries or in LAGGED ranges. */
async function drain(c: RawClient, total: number): Promise<{ delivered: number[]; lagged: number }> {
  const delivered: number[] = [];
  let lagged = 0;
  while (delivered.length + lagged < total) {
    const f: Frame = await c.next();
    if (f.op === 'MSG') delivered.push(f.payload.readUInt32BE(0));
    else if (f.op === 'LAGGED') lagged += f.count;
    else assert.fail(`unexpected ${f.op}`);
  }
  return { delivered, lagged };
}

describe('publisher_stall_ms', () => {
  test('a frozen subscriber pauses a publisher once, for at most the bound, and stays subject to the slow-consumer limits', async (t) => {
    const h = await startTestServer({
      performance: { publisher_stall_ms: 1000 },
      topics: [{ name: 'feed', routing: 'Fanout', buffer_size: 100_000, max_message_size: 65536 }],
    });
    t.after(() => h.stop());
    const frozen = await subscribe(h, 'frozen', 'feed');
    frozen.socket.pause();
    const pub = await h.client('pub');
    // 20 rounds of 320 KiB: far more than the frozen socket can hold. Each round waits for its
    // confirm; were the publisher paused again for the frozen reader, every round would add a pause.
    const rounds = 20;
    for (let r = 0; r < rounds; r++) {
      pub.send(...pubs('feed', r * 20, 20, 16 * 1024));
      assert.equal((await pub.next()).op, 'PUBACK');
    }
    assert.equal(pausesOf(h, 'pub'), 1, 'one pause, ended by the bound, not one per round');
    assert.equal(h.server.broker.topicStats('feed').published, rounds * 20);
    assert.ok(pausesOf(h, 'frozen') === 0, 'the frozen subscriber is still connected');
  });

  test('a frozen subscriber is still closed by write_deadline_ms while publishers go on', async (t) => {
    const h = await startTestServer({
      server: { write_deadline_ms: 200 },
      performance: { publisher_stall_ms: 1000 },
      topics: [{ name: 'feed', routing: 'Fanout', buffer_size: 100_000, max_message_size: 65536 }],
    });
    t.after(() => h.stop());
    const frozen = await subscribe(h, 'frozen', 'feed');
    frozen.socket.pause();
    const pub = await h.client('pub');
    const closing = h.closeOf('frozen');
    let closed = false;
    void closing.then(() => {
      closed = true;
    });
    let round = 0;
    while (!closed) {
      pub.send(...pubs('feed', round * 20, 20, 16 * 1024));
      assert.equal((await pub.next()).op, 'PUBACK');
      round++;
    }
    const info = await closing;
    assert.equal(info.reason, 'SLOW_CONSUMER');
    assert.equal(info.detail, 'write_deadline');
  });

  for (const [stallMs, lossless] of [
    [0, false],
    [1000, true],
  ] as const) {
    test(`a fast publisher and a healthy subscriber that pauses reading for a moment: ${lossless ? 'with publisher_stall_ms nothing is lost' : 'with publisher_stall_ms = 0 the subscriber lags'}`, async (t) => {
      const h = await startTestServer({
        performance: { publisher_stall_ms: stallMs },
        topics: [{ name: 'ticks', routing: 'Fanout', buffer_size: 64, max_message_size: 4096 }],
      });
      t.after(() => h.stop());
      const sub = await subscribe(h, 'sub', 'ticks');
      const pub = await h.client('pub');
      const total = 4000;
      // The subscriber looks away for a moment while 4 MB arrive at once: 64 messages of ring
      // are far less than that.
      sub.socket.pause();
      pub.send(...pubs('ticks', 0, total, 1024));
      setTimeout(() => sub.socket.resume(), 20);
      const { delivered, lagged } = await drain(sub, total);
      assert.equal((await pub.next()).op, 'PUBACK');
      if (lossless) {
        assert.equal(lagged, 0);
        assert.deepEqual(
          delivered,
          Array.from({ length: total }, (_, i) => i),
        );
        assert.ok(pausesOf(h, 'pub') > 0, 'the publisher was paused for the subscriber');
      } else {
        assert.ok(lagged > 0, 'without the pause the subscriber falls out of the ring');
        assert.equal(pausesOf(h, 'pub'), 0);
      }
    });
  }
});
