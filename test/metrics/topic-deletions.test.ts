/**
 * Deleted topics: their final counters (what they counted after the last scrape, and the queue
 * messages dropped by the deletion) reach the per-topic counters, from this server's broker only,
 * although the broker's deletion channel is shared by every broker in the process.
 */
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { describe, test } from 'node:test';
import {
  Broker,
  TOPIC_DELETED_CHANNEL,
  type TopicCounters,
  type TopicHandle,
} from '../../src/broker/index.ts';
import { finalCounters, TopicDeletionWatch } from '../../src/metrics/topic-deletions.ts';
import { COUNTER_FIELDS } from '../../src/metrics/topic-ledger.ts';
import { startObserved } from './helpers/observed-server.ts';

const one = (): Uint8Array => new Uint8Array(1);

/** Publishes `count` one-byte messages to `topic`. */
function publish(broker: Broker, topic: string, count: number): void {
  for (let i = 0; i < count; i++) broker.publish(topic, one());
}

/** A watch on `broker` that records each retirement as the broker deletes the topic. */
function watch(broker: Broker) {
  const retired: { name: string; handle: TopicHandle; final: TopicCounters }[] = [];
  const w = new TopicDeletionWatch(broker, (name, handle, final) => retired.push({ name, handle, final }));
  return { w, retired };
}

describe('finalCounters', () => {
  test("a queue topic's waiting messages count as dropped by the deletion; a fanout ring does not", () => {
    const zero = Object.fromEntries(COUNTER_FIELDS.map((f) => [f, 0])) as unknown as TopicCounters;
    const base = { ...zero, name: 't', nextSeq: 1, subscribers: 0, inFlight: 0, maxLag: 0 };
    // Each row: routing, depth, droppedDeleted in the message, droppedDeleted expected.
    const cases: ['Queue' | 'Fanout', number, number, number][] = [
      ['Queue', 3, 0, 3], // published before the drop (today's broker)
      ['Queue', 0, 3, 3], // published after the drop: the same total
      ['Queue', 0, 0, 0],
      ['Fanout', 2, 0, 0], // the ring is released, owed to nobody
    ];
    for (const [routing, depth, droppedDeleted, expected] of cases) {
      const final = finalCounters({
        name: 't',
        topic: new Broker().createTopic('t', { routing }),
        stats: { ...base, routing, depth, droppedDeleted, published: 5 },
      });
      assert.equal(final.droppedDeleted, expected, `${routing} depth ${depth}`);
      assert.equal(final.published, 5);
    }
  });
});

describe('TopicDeletionWatch with two brokers in one process', () => {
  test('a deletion on this broker is retired with its final counters and the dropped queue messages', async () => {
    const broker = new Broker();
    const { w, retired } = watch(broker);
    try {
      const handle = broker.createTopic('jobs', { routing: 'Queue' });
      publish(broker, 'jobs', 3);
      broker.deleteTopic('jobs');
      assert.equal(retired.length, 1);
      assert.equal(retired[0]?.name, 'jobs');
      assert.equal(retired[0]?.handle, handle);
      assert.equal(retired[0]?.final.published, 3);
      assert.equal(retired[0]?.final.droppedDeleted, 3);
    } finally {
      w.close();
    }
  });

  test('a deletion on another broker is ignored, even under a name this broker has', () => {
    const mine = new Broker();
    const other = new Broker();
    const { w, retired } = watch(mine);
    try {
      mine.createTopic('shared', { routing: 'Queue' });
      other.createTopic('shared', { routing: 'Queue' });
      other.createTopic('elsewhere', { routing: 'Queue' });
      publish(other, 'shared', 2);
      other.deleteTopic('shared');
      other.deleteTopic('elsewhere');
      assert.deepEqual(retired, []);
    } finally {
      w.close();
    }
  });

  test("both brokers deleting the same name in one run: only this broker's counters are retired", () => {
    // Each row: which broker deletes first. Either way this broker's own message wins.
    for (const mineFirst of [true, false]) {
      const mine = new Broker();
      const other = new Broker();
      const { w, retired } = watch(mine);
      try {
        mine.createTopic('shared', { routing: 'Queue' });
        other.createTopic('shared', { routing: 'Queue' });
        publish(mine, 'shared', 1);
        publish(other, 'shared', 4);
        const order = mineFirst ? [mine, other] : [other, mine];
        for (const b of order) b.deleteTopic('shared');
        assert.deepEqual(
          retired.map((r) => [r.name, r.final.published, r.final.droppedDeleted]),
          [['shared', 1, 1]],
          mineFirst ? 'mine first' : 'other first',
        );
      } finally {
        w.close();
      }
    }
  });

  test('a topic deleted and created again in one run: the deleted instance is retired, the new one is not', () => {
    const broker = new Broker();
    const other = new Broker();
    const { w, retired } = watch(broker);
    try {
      const old = broker.createTopic('t', { routing: 'Queue' });
      publish(broker, 't', 2);
      broker.deleteTopic('t');
      broker.createTopic('t', { routing: 'Queue' });
      // Another broker's deletion under the name now belongs to the new instance: not retired.
      other.createTopic('t', { routing: 'Queue' });
      other.deleteTopic('t');
      assert.deepEqual(
        retired.map((r) => [r.handle === old, r.final.published]),
        [[true, 2]],
      );
    } finally {
      w.close();
    }
  });

  test('after close nothing more is heard', () => {
    const broker = new Broker();
    const { w, retired } = watch(broker);
    w.close();
    broker.createTopic('t', { routing: 'Queue' });
    broker.deleteTopic('t');
    assert.deepEqual(retired, []);
  });
});

describe('deleted topics in /metrics', () => {
  test('messages waiting in a deleted queue topic count as dropped{reason="deleted"}, with what it counted since the last scrape', async () => {
    const s = await startObserved({ topics: [{ name: 'jobs', routing: 'Queue' }] });
    try {
      const broker = s.server.broker;
      publish(broker, 'jobs', 1);
      const before = await s.scrape();
      assert.equal(before.value('mycelium_messages_published_total', { topic: 'jobs' }), 1);
      publish(broker, 'jobs', 2);
      assert.deepEqual(broker.deleteTopic('jobs'), { subscribers: 0, droppedQueued: 3 });
      const m = await s.scrape();
      assert.equal(m.value('mycelium_messages_published_total', { topic: 'jobs' }), 3);
      assert.equal(m.value('mycelium_published_bytes_total', { topic: 'jobs' }), 3);
      assert.equal(m.value('mycelium_messages_dropped_total', { topic: 'jobs', reason: 'deleted' }), 3);
      assert.equal(m.has('mycelium_topic_queue_depth', { topic: 'jobs' }), false);

      // Created again: counters continue from the deleted instance's final totals.
      broker.createTopic('jobs', { routing: 'Queue' });
      publish(broker, 'jobs', 1);
      const again = await s.scrape();
      assert.equal(again.value('mycelium_messages_published_total', { topic: 'jobs' }), 4);
      assert.equal(again.value('mycelium_messages_dropped_total', { topic: 'jobs', reason: 'deleted' }), 3);
      assert.equal(again.value('mycelium_topic_queue_depth', { topic: 'jobs' }), 1);
    } finally {
      await s.stop();
    }
  });

  test('a topic created and deleted between two scrapes still shows its counts', async () => {
    const s = await startObserved();
    try {
      const broker = s.server.broker;
      broker.createTopic('brief', { routing: 'Queue' });
      broker.createTopic('ticks', { routing: 'Fanout' });
      publish(broker, 'brief', 2);
      publish(broker, 'ticks', 5);
      broker.deleteTopic('brief');
      broker.deleteTopic('ticks');
      const m = await s.scrape();
      assert.equal(m.value('mycelium_messages_published_total', { topic: 'brief' }), 2);
      assert.equal(m.value('mycelium_messages_dropped_total', { topic: 'brief', reason: 'deleted' }), 2);
      // A fanout ring is not a backlog: its deletion drops nothing.
      assert.equal(m.value('mycelium_messages_published_total', { topic: 'ticks' }), 5);
      assert.equal(m.value('mycelium_messages_dropped_total', { topic: 'ticks', reason: 'deleted' }), 0);
    } finally {
      await s.stop();
    }
  });

  test('a topic removed by a config reload is accounted like any deletion', async () => {
    const s = await startObserved({ topics: [{ name: 'jobs', routing: 'Queue' }, { name: 'keep' }] });
    try {
      publish(s.server.broker, 'jobs', 2);
      const config = s.server.config;
      const report = await s.server.reload({
        ...config,
        topics: config.topics.filter((t) => t.name !== 'jobs'),
      });
      assert.equal(report.outcome, 'applied');
      assert.deepEqual(
        report.removedTopics.map((t) => [t.name, t.droppedQueued]),
        [['jobs', 2]],
      );
      const m = await s.scrape();
      assert.equal(m.value('mycelium_messages_published_total', { topic: 'jobs' }), 2);
      assert.equal(m.value('mycelium_messages_dropped_total', { topic: 'jobs', reason: 'deleted' }), 2);
      assert.equal(m.has('mycelium_topic_queue_depth', { topic: 'jobs' }), false);
    } finally {
      await s.stop();
    }
  });

  test("a deletion on another server in the process leaves this server's series alone", async () => {
    const a = await startObserved({ topics: [{ name: 'shared', routing: 'Queue' }] });
    const b = await startObserved({ topics: [{ name: 'shared', routing: 'Queue' }] });
    try {
      publish(a.server.broker, 'shared', 2);
      publish(b.server.broker, 'shared', 3);
      b.server.broker.deleteTopic('shared');
      const [ma, mb] = await Promise.all([a.scrape(), b.scrape()]);
      assert.equal(ma.value('mycelium_messages_published_total', { topic: 'shared' }), 2);
      assert.equal(ma.value('mycelium_messages_dropped_total', { topic: 'shared', reason: 'deleted' }), 0);
      assert.equal(ma.value('mycelium_topic_queue_depth', { topic: 'shared' }), 2);
      assert.equal(mb.value('mycelium_messages_published_total', { topic: 'shared' }), 3);
      assert.equal(mb.value('mycelium_messages_dropped_total', { topic: 'shared', reason: 'deleted' }), 3);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test("closing the metrics unsubscribes from the broker's deletion channel", async () => {
    const deleted = channel(TOPIC_DELETED_CHANNEL);
    assert.equal(deleted.hasSubscribers, false);
    const s = await startObserved();
    try {
      assert.equal(deleted.hasSubscribers, true);
      await s.metrics.close();
      assert.equal(deleted.hasSubscribers, false);
    } finally {
      await s.stop();
    }
  });
});
