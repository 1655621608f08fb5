import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AckMode,
  Broker,
  DEFAULT_TOPIC_SETTINGS,
  MAX_BUFFER_SIZE,
  MAX_DELIVERY_LIMIT,
  MAX_MESSAGE_SIZE_LIMIT,
  MAX_PREFETCH,
  OverflowPolicy,
  Routing,
  SlowConsumerPolicy,
  type TopicSettings,
} from '../../src/broker/index.ts';
import { bytes, Recorder, throwsCode } from './helpers.ts';

describe('topics', () => {
  test('settings a declaration leaves out take the documented defaults', () => {
    assert.deepEqual(DEFAULT_TOPIC_SETTINGS, {
      bufferSize: 10_000,
      maxMessageSize: 1_048_576,
      overflow: 'reject',
      slowConsumer: 'drop_oldest',
      ack: 'none',
      prefetch: 64,
      deliveryLimit: 20,
    });
    const broker = new Broker();
    const handle = broker.createTopic('t', { routing: Routing.Queue, prefetch: 8 });
    assert.deepEqual(handle.settings, { ...DEFAULT_TOPIC_SETTINGS, routing: 'Queue', prefetch: 8 });
  });

  test('topics given to the constructor exist, in order', () => {
    const broker = new Broker({
      topics: [
        ['a', { routing: Routing.Fanout }],
        ['b', { routing: Routing.Queue, ack: AckMode.Manual }],
      ],
    });
    assert.deepEqual(broker.topicNames(), ['a', 'b']);
    assert.equal(broker.hasTopic('b'), true);
    assert.equal(broker.hasTopic('c'), false);
    assert.equal(broker.getTopic('c'), undefined);
  });

  test('a second topic with the same name is refused with TOPIC_EXISTS', () => {
    const broker = new Broker();
    broker.createTopic('t', { routing: Routing.Fanout });
    throwsCode(() => broker.createTopic('t', { routing: Routing.Queue }), 'TOPIC_EXISTS');
    assert.equal(broker.getTopic('t')?.settings.routing, 'Fanout');
  });

  test('settings out of range or ignored by the routing are refused with INVALID_ARGUMENT', () => {
    const bad: [string, Partial<TopicSettings> & { routing: Routing }][] = [
      ['bufferSize 0', { routing: Routing.Fanout, bufferSize: 0 }],
      ['bufferSize over max', { routing: Routing.Fanout, bufferSize: MAX_BUFFER_SIZE + 1 }],
      ['bufferSize fractional', { routing: Routing.Queue, bufferSize: 1.5 }],
      ['maxMessageSize 0', { routing: Routing.Fanout, maxMessageSize: 0 }],
      ['maxMessageSize over max', { routing: Routing.Fanout, maxMessageSize: MAX_MESSAGE_SIZE_LIMIT + 1 }],
      ['prefetch 0', { routing: Routing.Queue, prefetch: 0 }],
      ['prefetch over max', { routing: Routing.Queue, prefetch: MAX_PREFETCH + 1 }],
      ['deliveryLimit 0', { routing: Routing.Queue, ack: AckMode.Manual, deliveryLimit: 0 }],
      [
        'deliveryLimit over max',
        { routing: Routing.Queue, ack: AckMode.Manual, deliveryLimit: MAX_DELIVERY_LIMIT + 1 },
      ],
      ['deliveryLimit fractional', { routing: Routing.Queue, ack: AckMode.Manual, deliveryLimit: 2.5 }],
      ['unknown routing', { routing: 'Topic' as Routing }],
      ['unknown overflow', { routing: Routing.Queue, overflow: 'drop' as OverflowPolicy }],
      ['unknown ack', { routing: Routing.Queue, ack: 'auto' as AckMode }],
      ['overflow on fanout', { routing: Routing.Fanout, overflow: OverflowPolicy.Block }],
      ['ack on fanout', { routing: Routing.Fanout, ack: AckMode.Manual }],
      ['slowConsumer on queue', { routing: Routing.Queue, slowConsumer: SlowConsumerPolicy.Disconnect }],
    ];
    const broker = new Broker();
    for (const [label, settings] of bad) {
      assert.throws(() => broker.createTopic('t', settings), { code: 'INVALID_ARGUMENT' }, label);
    }
    assert.equal(broker.hasTopic('t'), false);
    // The limits themselves are accepted.
    broker.createTopic('max', {
      routing: Routing.Queue,
      bufferSize: MAX_BUFFER_SIZE,
      maxMessageSize: MAX_MESSAGE_SIZE_LIMIT,
      prefetch: MAX_PREFETCH,
      deliveryLimit: MAX_DELIVERY_LIMIT,
    });
  });

  test('publishing to an unknown topic throws TOPIC_NOT_FOUND', () => {
    throwsCode(() => new Broker().publish('nope', bytes('x')), 'TOPIC_NOT_FOUND');
  });

  test('a payload of exactly maxMessageSize is accepted and one byte more is refused', () => {
    for (const routing of [Routing.Fanout, Routing.Queue]) {
      const broker = new Broker();
      broker.createTopic('t', { routing, maxMessageSize: 16 });
      assert.equal(broker.publish('t', new Uint8Array(16)), 1);
      throwsCode(() => broker.publish('t', new Uint8Array(17)), 'MESSAGE_TOO_LARGE');
      assert.equal(broker.publish('t', new Uint8Array(0)), 2, 'a refused publish takes no seq');
      const stats = broker.topicStats('t');
      assert.equal(stats.published, 2);
      assert.equal(stats.publishedBytes, 16);
    }
  });

  test('seqs start at 1 and count up per topic, independently', () => {
    const broker = new Broker();
    broker.createTopic('a', { routing: Routing.Fanout });
    broker.createTopic('b', { routing: Routing.Queue });
    assert.deepEqual(
      [broker.publish('a', bytes('1')), broker.publish('a', bytes('2')), broker.publish('b', bytes('1'))],
      [1, 2, 1],
    );
    assert.equal(broker.topicStats('a').nextSeq, 3);
    assert.equal(broker.topicStats('b').nextSeq, 2);
  });

  test('a handle publishes like the name, and goes stale when its topic is deleted', () => {
    const broker = new Broker();
    const handle = broker.createTopic('t', { routing: Routing.Fanout });
    assert.equal(broker.publish(handle, bytes('x')), 1);
    broker.deleteTopic('t');
    throwsCode(() => broker.publish(handle, bytes('x')), 'TOPIC_NOT_FOUND');
    broker.createTopic('t', { routing: Routing.Fanout });
    throwsCode(() => broker.publish(handle, bytes('x')), 'TOPIC_NOT_FOUND');
    assert.equal(broker.publish('t', bytes('x')), 1, 'the new topic starts over');
    throwsCode(() => new Broker().publish(broker.getTopic('t')!, bytes('x')), 'TOPIC_NOT_FOUND');
  });

  test('deleting a topic evicts every subscription with TOPIC_DELETED and drops waiting messages', () => {
    const broker = new Broker();
    broker.createTopic('q', { routing: Routing.Queue, ack: AckMode.Manual, prefetch: 1 });
    broker.createTopic('f', { routing: Routing.Fanout });
    const a = new Recorder();
    const b = new Recorder();
    const qa = broker.subscribe(a, 'q', 1).subscription;
    broker.subscribe(a, 'f', 2);
    broker.subscribe(b, 'q', 1);
    for (let i = 0; i < 5; i++) broker.publish('q', bytes(`m${i}`)); // 1 each in flight, 3 waiting
    const report = broker.deleteTopic('q');
    assert.deepEqual(report, { subscribers: 2, droppedQueued: 3 });
    assert.deepEqual(a.events.at(-1), { kind: 'evicted', sid: 1, reason: 'TOPIC_DELETED' });
    assert.deepEqual(b.events.at(-1), { kind: 'evicted', sid: 1, reason: 'TOPIC_DELETED' });
    assert.equal(broker.hasTopic('q'), false);
    throwsCode(() => broker.topicStats('q'), 'TOPIC_NOT_FOUND');
    throwsCode(() => broker.ack(qa, 1), 'SUBSCRIPTION_NOT_FOUND');
    assert.equal(broker.subscription(a, 2)?.topic, 'f', 'other topics keep their subscriptions');
    // The sid is free again for a new topic of the same name.
    broker.createTopic('q', { routing: Routing.Queue });
    broker.subscribe(a, 'q', 1);
    throwsCode(() => broker.deleteTopic('nope'), 'TOPIC_NOT_FOUND');
  });

  test('updateTopic applies live and refuses a routing change', () => {
    const broker = new Broker();
    broker.createTopic('t', { routing: Routing.Fanout, maxMessageSize: 4 });
    throwsCode(() => broker.publish('t', new Uint8Array(5)), 'MESSAGE_TOO_LARGE');
    const settings = broker.updateTopic('t', {
      maxMessageSize: 8,
      slowConsumer: SlowConsumerPolicy.Disconnect,
    });
    assert.equal(settings.maxMessageSize, 8);
    assert.equal(broker.getTopic('t')?.settings.slowConsumer, 'disconnect');
    assert.equal(broker.publish('t', new Uint8Array(8)), 1);
    throwsCode(() => broker.updateTopic('t', { routing: Routing.Queue }), 'INVALID_ARGUMENT');
    throwsCode(() => broker.updateTopic('t', { bufferSize: -1 }), 'INVALID_ARGUMENT');
    throwsCode(() => broker.updateTopic('nope', {}), 'TOPIC_NOT_FOUND');
    assert.equal(broker.getTopic('t')?.settings.bufferSize, DEFAULT_TOPIC_SETTINGS.bufferSize);
  });

  test('stats report every topic with its counters and shape', () => {
    const broker = new Broker();
    broker.createTopic('f', { routing: Routing.Fanout, bufferSize: 2 });
    broker.createTopic('q', { routing: Routing.Queue, ack: AckMode.Manual });
    const r = new Recorder();
    broker.subscribe(r, 'f', 1);
    broker.subscribe(r, 'q', 2);
    for (let i = 0; i < 3; i++) broker.publish('f', bytes('x'));
    broker.publish('q', bytes('yy'));
    const [f, q] = broker.stats();
    assert.equal(f?.name, 'f');
    assert.equal(f?.depth, 2, 'the ring holds bufferSize messages');
    assert.equal(f?.delivered, 3);
    assert.equal(f?.subscribers, 1);
    assert.equal(q?.routing, 'Queue');
    assert.equal(q?.inFlight, 1);
    assert.equal(q?.publishedBytes, 2);
  });

  test('subscribing checks the topic, the sid and the start position', () => {
    const broker = new Broker();
    broker.createTopic('f', { routing: Routing.Fanout });
    broker.createTopic('q', { routing: Routing.Queue });
    const r = new Recorder();
    throwsCode(() => broker.subscribe(r, 'nope', 1), 'TOPIC_NOT_FOUND');
    broker.subscribe(r, 'f', 1);
    throwsCode(() => broker.subscribe(r, 'q', 1), 'SUBSCRIPTION_EXISTS');
    broker.subscribe(new Recorder(), 'f', 1); // sids are per subscriber
    for (const sid of [-1, 1.5, 2 ** 32, Number.NaN])
      throwsCode(() => broker.subscribe(r, 'f', sid), 'INVALID_ARGUMENT');
    const badStarts = [
      { kind: 'seq', seq: 0 },
      { kind: 'seq', seq: 1.5 },
      { kind: 'last', count: -1 },
      { kind: 'later' },
    ] as const;
    for (const start of badStarts) {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
      throwsCode(() => broker.subscribe(r, 'f', 9, start as any), 'INVALID_ARGUMENT');
    }
    throwsCode(() => broker.subscribe(r, 'q', 9, { kind: 'last', count: 1 }), 'INVALID_ARGUMENT');
    assert.equal(broker.subscription(r, 9), undefined);
  });
});
