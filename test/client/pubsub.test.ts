import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { connect, type Message, ServerError, type Subscription } from '../../src/client/index.ts';
import { next, OpenClients } from './helpers/clients.ts';
import { type RealServer, startRealServer } from './helpers/real-server.ts';

const text = (m: Message) => Buffer.from(m.data).toString();

/** Takes `n` messages from an iterable subscription, then leaves the loop (which unsubscribes). */
async function take(sub: Subscription, n: number): Promise<Message[]> {
  const got: Message[] = [];
  if (n === 0) return got;
  for await (const msg of sub) {
    got.push(msg);
    if (got.length === n) break;
  }
  return got;
}

describe('client against a real server', () => {
  let rs: RealServer;
  const clients = new OpenClients();
  const open = clients.open;
  before(async () => {
    rs = await startRealServer();
  });
  after(async () => {
    await clients.closeAll();
    await rs.stop();
  });

  for (const transport of ['unix', 'tcp'] as const) {
    it(`a message published over ${transport} reaches a subscriber with its bytes, topic and seq`, async () => {
      const url = transport === 'unix' ? rs.unixUrl : rs.tcpUrl;
      const sub = (await open(url)).subscribe('events');
      await sub.ready;
      const pub = await open(url);
      const seq = await pub.publish('events', new Uint8Array([0, 1, 2, 255]), { confirm: true });
      pub.publish('events', `hello over ${transport}`);
      const [a, b] = await take(sub, 2);
      assert.deepEqual([...a!.data], [0, 1, 2, 255]);
      assert.deepEqual([a!.topic, a!.seq, a!.redelivered, a!.deliveryCount], ['events', seq, false, 1]);
      assert.equal(text(b!), `hello over ${transport}`);
      assert.equal(b!.seq, seq + 1);
    });
  }

  it('a confirmed publish resolves with consecutive seqs and rejects with ServerError TOPIC_NOT_FOUND', async () => {
    const c = await open(rs.unixUrl);
    const first = await c.publish('events', 'a', { confirm: true });
    const second = await c.publish('events', 'b', { confirm: true });
    assert.equal(second, first + 1);
    await assert.rejects(c.publish('no.such.topic', 'x', { confirm: true }), (err: unknown) => {
      return err instanceof ServerError && err.code === 'TOPIC_NOT_FOUND' && !err.fatal;
    });
    assert.equal(
      await c.publish('events', 'still open', { confirm: true }),
      second + 1,
      'connection stays open',
    );
  });

  it('the iterator and the callback forms get the same messages in seq order', async () => {
    const c = await open(rs.unixUrl);
    const viaCallback: number[] = [];
    let allSeen: () => void = () => {};
    const seenAll = new Promise<void>((resolve) => {
      allSeen = resolve;
    });
    const cb = c.subscribe('events', {
      callback: (m) => {
        viaCallback.push(m.seq);
        if (viaCallback.length === 50) allSeen();
      },
    });
    const it = c.subscribe('events');
    await Promise.all([cb.ready, it.ready]);
    for (let i = 0; i < 50; i++) c.publish('events', String(i));
    const viaIterator = (await take(it, 50)).map((m) => m.seq);
    await seenAll;
    assert.deepEqual(viaCallback, viaIterator);
    assert.deepEqual(
      viaIterator,
      viaIterator.map((_, i) => viaIterator[0]! + i),
    );
  });

  it('start positions replay what the topic holds: last N, and from a seq', async () => {
    const c = await open(rs.unixUrl);
    let last = 0;
    for (let i = 0; i < 5; i++) last = await c.publish('events', `r${i}`, { confirm: true });
    const lastTwo = c.subscribe('events', { start: { kind: 'last', count: 2 } });
    assert.deepEqual((await take(lastTwo, 2)).map(text), ['r3', 'r4']);
    const fromSeq = c.subscribe('events', { start: { kind: 'seq', seq: last - 3 } });
    assert.deepEqual(
      (await take(fromSeq, 4)).map((m) => m.seq),
      [last - 3, last - 2, last - 1, last],
    );
  });

  it('bad topic names are refused before anything is sent, with INVALID_TOPIC', async () => {
    const c = await open(rs.unixUrl);
    const table = ['', 'a..b', '.a', 'a.', 'sp ace', 'wild.*', 'wild.>', 'ü', 'x'.repeat(129)];
    for (const topic of table) {
      assert.throws(() => c.publish(topic, 'x'), { code: 'INVALID_TOPIC' }, JSON.stringify(topic));
      await assert.rejects(c.publish(topic, 'x', { confirm: true }), { code: 'INVALID_TOPIC' });
      assert.throws(() => c.subscribe(topic), { code: 'INVALID_TOPIC' }, JSON.stringify(topic));
    }
    assert.equal((await c.publish('events', 'fine', { confirm: true })) > 0, true, 'connection unharmed');
  });

  it('a subscription to a missing topic rejects ready and throws from the iterator', async () => {
    const c = await open(rs.unixUrl);
    const sub = c.subscribe('missing');
    await assert.rejects(sub.ready, { code: 'TOPIC_NOT_FOUND' });
    await assert.rejects(take(sub, 1), { code: 'TOPIC_NOT_FOUND' });
  });

  it('lag is surfaced on the subscription and the client, and the iterator goes on after it', async () => {
    const c = await open(rs.unixUrl);
    let last = 0;
    for (let i = 0; i < 10; i++) last = await c.publish('events.small', `m${i}`, { confirm: true });
    // buffer_size 4: asking for 6 more than the ring holds yields LAGGED for those, then the 4.
    const sub = c.subscribe('events.small', { start: { kind: 'seq', seq: last - 9 } });
    const onSub = once(sub, 'lagged');
    const onClient = once(c, 'lagged');
    const got = await take(sub, 4);
    assert.deepEqual(await onSub, [{ fromSeq: last - 9, count: 6 }]);
    const [info] = await onClient;
    assert.equal(info.subscription, sub);
    assert.deepEqual(
      got.map((m) => m.seq),
      [last - 3, last - 2, last - 1, last],
    );
  });

  it('manual ack: an acked message is done; unacked ones are redelivered, flagged, to the next consumer', async () => {
    const producer = await open(rs.unixUrl);
    const first = await open(rs.unixUrl, { reconnect: false });
    const consumer = first.subscribe('jobs');
    await consumer.ready;
    const a = await producer.publish('jobs', 'job-a', { confirm: true });
    const b = await producer.publish('jobs', 'job-b', { confirm: true });
    const [ma, mb] = await next(consumer[Symbol.asyncIterator](), 2);
    assert.deepEqual([ma!.seq, mb!.seq], [a, b]);
    ma!.ack();
    await first.flush();
    await first.close();
    const second = await open(rs.unixUrl);
    const again = second.subscribe('jobs');
    const [redelivered] = await take(again, 1);
    assert.equal(redelivered!.seq, b);
    assert.equal(text(redelivered!), 'job-b');
    assert.equal(redelivered!.redelivered, true);
    assert.equal(redelivered!.deliveryCount, 2);
    redelivered!.ack();
  });

  it('after unsubscribe resolves no more messages arrive and the iterator finishes', async () => {
    const c = await open(rs.unixUrl);
    const sub = c.subscribe('events');
    await sub.ready;
    await c.publish('events', 'before', { confirm: true });
    await sub.unsubscribe();
    await c.publish('events', 'after', { confirm: true });
    const seen: string[] = [];
    for await (const m of sub) seen.push(text(m));
    assert.deepEqual(seen, ['before']);
  });

  it('drain waits for confirms in flight, ends subscriptions, then closes; later calls fail CONNECTION_CLOSED', async (t) => {
    const c = await connect(rs.unixUrl);
    // The test drains it; this closes it when an assertion fails first.
    t.after(() => c.close());
    const sub = c.subscribe('work');
    await sub.ready;
    const confirms = Array.from({ length: 100 }, (_, i) => c.publish('work', `w${i}`, { confirm: true }));
    const closed = once(c, 'close');
    await c.drain();
    const seqs = await Promise.all(confirms);
    assert.equal(new Set(seqs).size, 100, 'every confirm answered before drain resolved');
    assert.deepEqual(await closed, [undefined]);
    assert.equal(sub.ended, true);
    assert.throws(() => c.publish('work', 'late'), { code: 'CONNECTION_CLOSED' });
    assert.throws(() => c.subscribe('work'), { code: 'CONNECTION_CLOSED' });
    await assert.rejects(c.publish('work', 'late', { confirm: true }), { code: 'CONNECTION_CLOSED' });
  });

  it('close finishes iterators, including one waiting for a message', async (t) => {
    const c = await connect(rs.unixUrl);
    t.after(() => c.close());
    const sub = c.subscribe('events');
    await sub.ready;
    const waiting = sub[Symbol.asyncIterator]().next();
    const closed = once(c, 'close');
    await c.close();
    assert.equal((await waiting).done, true);
    assert.deepEqual(await closed, [undefined]);
    assert.equal(c.connected, false);
  });
});
