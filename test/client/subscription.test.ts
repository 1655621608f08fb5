import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MyceliumError, ServerError } from '../../src/errors.ts';
import { Confirms } from '../../src/client/confirms.ts';
import type { Message } from '../../src/client/message.ts';
import {
  type SubscribeOptions,
  Subscription,
  type SubscriptionOwner,
} from '../../src/client/subscription.ts';

class FakeOwner implements SubscriptionOwner {
  generation = 1;
  acks: Array<[number, number]> = [];
  unsubscribed: number[] = [];
  failures: unknown[] = [];
  sendAck(sid: number, seq: number): void {
    this.acks.push([sid, seq]);
  }
  sendUnsubscribe(sub: Subscription): Promise<void> {
    this.unsubscribed.push(sub.sid);
    return Promise.resolve();
  }
  callbackFailed(error: unknown): void {
    this.failures.push(error);
  }
}

const bytes = (s: string) => Buffer.from(s);

function make(options: SubscribeOptions = {}) {
  const owner = new FakeOwner();
  return { owner, sub: new Subscription(owner, 7, 'orders', options) };
}

describe('subscription', () => {
  it('the iterator yields queued and later messages in order with their fields', async () => {
    const { sub } = make();
    sub.deliver(1, bytes('a'), false, 1);
    sub.deliver(2, bytes('b'), true, 3);
    const it = sub[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.done, false);
    assert.equal((first.value as Message).seq, 1);
    const second = (await it.next()).value as Message;
    assert.deepEqual(
      [second.topic, second.seq, second.redelivered, second.deliveryCount],
      ['orders', 2, true, 3],
    );
    assert.equal(Buffer.from(second.data).toString(), 'b');
    const waiting = it.next();
    sub.deliver(3, bytes('c'), false, 1);
    assert.equal(((await waiting).value as Message).seq, 3);
  });

  it('unsubscribe finishes the iterator after the messages already queued', async () => {
    const { owner, sub } = make();
    sub.deliver(1, bytes('a'), false, 1);
    await sub.unsubscribe();
    assert.deepEqual(owner.unsubscribed, [7]);
    const seen: number[] = [];
    for await (const msg of sub) seen.push(msg.seq);
    assert.deepEqual(seen, [1]);
    assert.equal(sub.ended, true);
  });

  it('leaving a for-await loop early unsubscribes', async () => {
    const { owner, sub } = make();
    sub.deliver(1, bytes('a'), false, 1);
    sub.deliver(2, bytes('b'), false, 1);
    for await (const _msg of sub) break;
    assert.deepEqual(owner.unsubscribed, [7]);
  });

  it('a server error ends the subscription: ready rejects and the iterator throws it once', async () => {
    const { sub } = make();
    const err = new ServerError('TOPIC_NOT_FOUND', 'no topic orders');
    sub.end(err);
    await assert.rejects(sub.ready, { code: 'TOPIC_NOT_FOUND' });
    const it = sub[Symbol.asyncIterator]();
    await assert.rejects(it.next(), { code: 'TOPIC_NOT_FOUND' });
    assert.equal((await it.next()).done, true);
  });

  it('a waiting iterator is woken by the end of the subscription', async () => {
    const { sub } = make();
    sub.subscribed(1);
    const pending = sub[Symbol.asyncIterator]().next();
    sub.end(new ServerError('TOPIC_DELETED'));
    await assert.rejects(pending, { code: 'TOPIC_DELETED' });
  });

  it('ready resolves on SUB_ACK and the resume position follows SUB_ACK, messages and lag notices', () => {
    const { sub } = make({ start: { kind: 'last', count: 5 } });
    assert.deepEqual(sub.resumePosition, { kind: 'last', count: 5 });
    sub.subscribed(96);
    assert.deepEqual(sub.resumePosition, { kind: 'seq', seq: 96 });
    sub.deliver(96, bytes('x'), false, 1);
    assert.deepEqual(sub.resumePosition, { kind: 'seq', seq: 97 });
    const notices: unknown[] = [];
    sub.on('lagged', (info) => notices.push(info));
    sub.lagged(97, 10);
    assert.deepEqual(notices, [{ fromSeq: 97, count: 10 }]);
    assert.deepEqual(sub.resumePosition, { kind: 'seq', seq: 107 });
    return sub.ready;
  });

  it('a refused resume point marks a queue subscription, whose later SUBs start new; a refused caller start is final', () => {
    const { sub } = make({ start: { kind: 'seq', seq: 3 } });
    assert.deepEqual(sub.subscribePosition(), { kind: 'seq', seq: 3 });
    assert.equal(sub.cannotResume(), false, "the caller's own start: the error ends the subscription");
    sub.subscribed(10);
    assert.deepEqual(sub.subscribePosition(), { kind: 'seq', seq: 10 });
    assert.equal(sub.cannotResume(), true);
    assert.deepEqual(sub.subscribePosition(), { kind: 'new' });
    sub.deliver(12, bytes('q'), false, 1);
    assert.deepEqual(sub.resumePosition, { kind: 'new' });
  });

  it('ack sends ACK sid seq on the connection the message came on, and nothing on a later one', () => {
    const got: Message[] = [];
    const { owner, sub } = make({ callback: (m) => got.push(m) });
    sub.deliver(4, bytes('a'), false, 1);
    got[0]!.ack();
    assert.deepEqual(owner.acks, [[7, 4]]);
    owner.generation = 2;
    got[0]!.ack();
    assert.deepEqual(owner.acks, [[7, 4]], 'stale ack dropped: the broker redelivers it anyway');
  });

  it('a subscription with a callback refuses to be iterated', () => {
    const { sub } = make({ callback: () => {} });
    assert.throws(() => sub[Symbol.asyncIterator](), { code: 'INVALID_ARGUMENT' });
  });

  it('a throwing callback is reported to the owner and later messages still arrive', () => {
    const owner = new FakeOwner();
    const seen: number[] = [];
    const sub = new Subscription(owner, 1, 't', {
      callback: (m) => {
        seen.push(m.seq);
        if (m.seq === 1) throw new Error('boom');
      },
    });
    sub.deliver(1, bytes('a'), false, 1);
    sub.deliver(2, bytes('b'), false, 1);
    assert.deepEqual(seen, [1, 2]);
    assert.equal((owner.failures[0] as Error).message, 'boom');
  });
});

describe('confirm tracking', () => {
  it('PUBACK resolves the publish with its seq; ERR rejects it; unknown ids are ignored', async () => {
    const confirms = new Confirms();
    const a = confirms.add(false);
    const b = confirms.add(false);
    assert.notEqual(a.id, b.id);
    assert.ok(a.id > 0 && b.id > 0);
    assert.equal(confirms.accept(a.id, 42), true);
    assert.equal(confirms.refuse(b.id, new ServerError('TOPIC_NOT_FOUND')), true);
    assert.equal(confirms.accept(999, 1), false);
    assert.equal(await a.promise, 42);
    await assert.rejects(b.promise, { code: 'TOPIC_NOT_FOUND' });
  });

  it('a lost connection rejects publishes sent on it and keeps parked ones for the next', async () => {
    const confirms = new Confirms();
    const sent = confirms.add(false);
    const parked = confirms.add(true);
    confirms.connectionLost(new MyceliumError('CONNECTION_CLOSED'));
    await assert.rejects(sent.promise, { code: 'CONNECTION_CLOSED' });
    assert.equal(confirms.size, 1);
    confirms.unpark();
    confirms.accept(parked.id, 7);
    assert.equal(await parked.promise, 7);
  });

  it('idle() resolves once every publish is answered', async () => {
    const confirms = new Confirms();
    const a = confirms.add(false);
    let idle = false;
    const waiting = confirms.idle().then(() => {
      idle = true;
    });
    await Promise.resolve();
    assert.equal(idle, false);
    confirms.accept(a.id, 1);
    await waiting;
    assert.equal(idle, true);
  });
});
