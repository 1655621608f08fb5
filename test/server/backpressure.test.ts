import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodePing, encodePub, encodeSub, type Frame, StartKind } from '../../src/protocol/index.ts';
import type { RawClient } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * Publishes `count` messages of `size` bytes in groups, waiting for the confirm of each group's
 * last message, so a reading subscriber keeps up while a frozen one falls behind.
 */
async function publishPaced(
  pub: RawClient,
  topic: string,
  count: number,
  size: number,
  group: number,
): Promise<void> {
  for (let i = 0; i < count; i += group) {
    const frames = [];
    for (let j = i; j < Math.min(i + group, count); j++) {
      const payload = Buffer.alloc(size);
      payload.writeUInt32BE(j, 0);
      frames.push(encodePub(topic, payload, j === Math.min(i + group, count) - 1 ? j + 1 : 0));
    }
    pub.send(...frames);
    const ack = await pub.next();
    assert.equal(ack.op, 'PUBACK');
  }
}

async function subscriber(h: TestServer, name: string, topic: string, frozen: boolean): Promise<RawClient> {
  const c = await h.client(name);
  c.send(encodeSub(1, topic, StartKind.New, 0));
  assert.equal((await c.next()).op, 'SUB_ACK');
  if (frozen) c.socket.pause();
  return c;
}

function indexes(frames: Frame[]): number[] {
  return frames.map((f) => (f.op === 'MSG' ? f.payload.readUInt32BE(0) : -1));
}

describe('slow consumers', () => {
  test('slow_consumer = "disconnect": a frozen reader is closed with SLOW_CONSUMER, a healthy one gets everything in order', async (t) => {
    const h = await startTestServer({
      topics: [
        {
          name: 'ticks',
          routing: 'Fanout',
          buffer_size: 64,
          slow_consumer: 'disconnect',
          max_message_size: 8192,
        },
      ],
    });
    t.after(() => h.stop());
    await subscriber(h, 'frozen', 'ticks', true);
    const healthy = await subscriber(h, 'healthy', 'ticks', false);
    const pub = await h.client('pub');
    const total = 1000;
    await publishPaced(pub, 'ticks', total, 4096, 10);
    const closed = await h.closeOf('frozen');
    assert.equal(closed.reason, 'SLOW_CONSUMER');
    assert.equal(closed.detail, 'topic_policy');
    assert.deepEqual(
      indexes(await healthy.take(total)),
      Array.from({ length: total }, (_, i) => i),
    );
  });

  test('write_deadline_ms: a frozen reader whose socket takes nothing is closed with SLOW_CONSUMER (write_deadline)', async (t) => {
    const h = await startTestServer({
      server: { write_deadline_ms: 200 },
      topics: [{ name: 'feed', routing: 'Fanout', buffer_size: 100_000, max_message_size: 8192 }],
    });
    t.after(() => h.stop());
    await subscriber(h, 'frozen', 'feed', true);
    const healthy = await subscriber(h, 'healthy', 'feed', false);
    const pub = await h.client('pub');
    let sent = 0;
    const closing = h.closeOf('frozen');
    let closed = false;
    void closing.then(() => {
      closed = true;
    });
    while (!closed) {
      await publishPaced(pub, 'feed', 20, 4096, 20);
      sent += 20;
    }
    const info = await closing;
    assert.equal(info.reason, 'SLOW_CONSUMER');
    assert.equal(info.detail, 'write_deadline');
    const got = await healthy.take(sent);
    assert.equal(got.length, sent);
    assert.ok(
      got.every((f) => f.op === 'MSG'),
      'the healthy subscriber lost nothing',
    );
  });

  test('max_pending_bytes: output the socket cannot take beyond the cap closes the connection as SLOW_CONSUMER (pending_bytes)', async (t) => {
    const h = await startTestServer({
      server: { max_pending_bytes: 64 * 1024 },
      topics: [{ name: 'bulk', routing: 'Fanout', max_message_size: 2 * 1024 * 1024 }],
    });
    t.after(() => h.stop());
    await subscriber(h, 'frozen', 'bulk', true);
    const pub = await h.client('pub');
    // One message larger than any socket buffer: most of it stays pending.
    pub.send(encodePub('bulk', Buffer.alloc(2 * 1024 * 1024), 1));
    assert.equal((await pub.next()).op, 'PUBACK');
    const info = await h.closeOf('frozen');
    assert.equal(info.reason, 'SLOW_CONSUMER');
    assert.equal(info.detail, 'pending_bytes');
    pub.send(encodePing());
    assert.deepEqual(await pub.next(), { op: 'PONG' }, 'the publisher is unaffected');
  });
});

describe('overflow = "block"', () => {
  test('a full queue pauses the publisher until a consumer makes room; nothing is lost, others are unaffected', async (t) => {
    const h = await startTestServer({
      topics: [{ name: 'jobs', routing: 'Queue', buffer_size: 5, overflow: 'block' }],
    });
    t.after(() => h.stop());
    const pub = await h.client('blocked-pub');
    const total = 20;
    pub.send(
      ...Array.from({ length: total }, (_, i) => encodePub('jobs', Buffer.from(`job-${i}`), i + 1)),
      encodePing(),
    );
    const first = await pub.take(5);
    assert.deepEqual(
      first.map((f) => (f.op === 'PUBACK' ? f.confirmId : -1)),
      [1, 2, 3, 4, 5],
    );
    assert.equal(
      h.server.broker.topicStats('jobs').published,
      5,
      'the sixth publish waits; it was not refused',
    );
    const other = await h.client('bystander');
    other.send(encodePing());
    assert.deepEqual(await other.next(), { op: 'PONG' });
    assert.equal(h.server.broker.topicStats('jobs').published, 5);
    const consumer = await subscriber(h, 'consumer', 'jobs', false);
    const got = await consumer.take(total);
    assert.deepEqual(
      got.map((f) => (f.op === 'MSG' ? f.payload.toString() : f.op)),
      Array.from({ length: total }, (_, i) => `job-${i}`),
    );
    const rest = await pub.take(total - 5 + 1);
    assert.deepEqual(
      rest.map((f) => (f.op === 'PUBACK' ? f.confirmId : f.op)),
      [...Array.from({ length: total - 5 }, (_, i) => i + 6), 'PONG'],
      'the held publishes and the PING behind them resume in order',
    );
  });
});
