/**
 * RELIABILITY.md H1 at CI scale: publishers and subscribers (fanout, and queue with manual acks)
 * run over the raw protocol while 40 reloads change reloadable settings: topic buffer sizes (up)
 * and policies, connection limits, batch_size, flush_interval_ms, channel_capacity, and an extra
 * topic the load does not use, added and removed. Pass bar: every reload applied, zero connections
 * dropped, zero subscriptions lost, zero seq gaps for the fanout subscribers (their buffers are
 * big enough that none lags out), every accepted queue message delivered and acked exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClosedConnectionInfo, ReloadReport } from '../../src/server/index.ts';
import { type ConfigSpec, type FileServer, startFromFile, type Table } from './helpers/file-server.ts';
import { LoadPublisher, LoadSubscriber, waitFor } from './helpers/load-client.ts';

const RELOADS = 40;
const FANOUT_SUBSCRIBERS = 3;
const QUEUE_CONSUMERS = 3;
const PUBLISHERS_PER_TOPIC = 2;

/** The settings of reload number `i` (0 = the start): every one differs from the one before. */
function spec(i: number): ConfigSpec {
  const feed: Table = {
    name: 'feed',
    routing: 'Fanout',
    // Only ever grows, and starts far above what the run publishes: no subscriber can lag out.
    buffer_size: 1_000_000 + i * 1000,
    slow_consumer: i % 2 === 0 ? 'drop_oldest' : 'disconnect',
    max_message_size: 1024 + i,
  };
  const work: Table = {
    name: 'work',
    routing: 'Queue',
    ack: 'manual',
    buffer_size: 1_000_000 + i * 1000,
    prefetch: 16 + (i % 5) * 16,
    // Never full, so neither policy drops or refuses anything; both are exercised as settings.
    overflow: i % 2 === 0 ? 'reject' : 'block',
  };
  const topics: Table[] = [feed, work];
  if (i % 2 === 1) topics.push({ name: 'extra', routing: 'Fanout', buffer_size: 10 + i });
  return {
    topics,
    server: {
      max_connections: 100 + i,
      connection_timeout_ms: 10_000 + i,
      heartbeat_interval_ms: 10_000 + i,
      heartbeat_max_missed: 2 + (i % 3),
      max_subscriptions_per_connection: 16 + i,
      max_pending_bytes: 256 * 1024 * 1024 + i,
      write_deadline_ms: 60_000 + i,
      shutdown_grace_ms: 1000 + i,
    },
    performance: {
      batch_size: [1000, 1, 64, 7, 500][i % 5]!,
      flush_interval_ms: i % 4,
      channel_capacity: [100_000, 64, 1000, 256][i % 4]!,
    },
  };
}

describe('reload under load (RELIABILITY.md H1, CI scale)', () => {
  let h: FileServer;
  const closes: ClosedConnectionInfo[] = [];
  const publishers: LoadPublisher[] = [];
  const fanout: LoadSubscriber[] = [];
  const queue: LoadSubscriber[] = [];
  const reports: ReloadReport[] = [];
  let acceptedAtFirstReload = 0;
  let acceptedAtLastReload = 0;
  let subscriptionsBefore: string;

  const accepted = (): number => publishers.reduce((n, p) => n + p.accepted.length, 0);
  const subscriptionState = (): string =>
    JSON.stringify(
      h.server.connections
        .list()
        .map((c) => [c.clientName, c.subscriptions])
        .sort(),
    );

  before(async () => {
    h = await startFromFile(spec(0));
    h.server.on('connection_closed', (info) => closes.push(info));
    for (let i = 0; i < FANOUT_SUBSCRIBERS; i++)
      fanout.push(await LoadSubscriber.open(`fan-${i}`, h.unix, 'feed', false));
    for (let i = 0; i < QUEUE_CONSUMERS; i++)
      queue.push(await LoadSubscriber.open(`worker-${i}`, h.tcp, 'work', true));
    for (let i = 0; i < PUBLISHERS_PER_TOPIC; i++) {
      publishers.push(await LoadPublisher.open(`feed-pub-${i}`, i % 2 === 0 ? h.unix : h.tcp, 'feed'));
      publishers.push(await LoadPublisher.open(`work-pub-${i}`, i % 2 === 0 ? h.tcp : h.unix, 'work'));
    }
    subscriptionsBefore = subscriptionState();
    for (const p of publishers) p.start();

    for (let i = 1; i <= RELOADS; i++) {
      if (i === 1) acceptedAtFirstReload = accepted();
      await h.write(spec(i));
      reports.push(await h.server.reload(undefined, { trigger: `load test ${i}` }));
      // Let the load run between reloads, as it would between an operator's edits.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    acceptedAtLastReload = accepted();
    await Promise.all(publishers.map((p) => p.stop()));

    const published = (topic: string): number[] =>
      publishers.filter((p) => p.topic === topic).flatMap((p) => p.accepted);
    const feedCount = published('feed').length;
    const workCount = published('work').length;
    for (const s of fanout) await s.until(() => s.seqs.length >= feedCount, `${feedCount} fanout deliveries`);
    const delivered = (): number => queue.reduce((n, s) => n + s.seqs.length, 0);
    await waitFor(() => delivered() >= workCount, `${workCount} queue deliveries`);
    // Acks are in flight on the sockets: wait for the broker to have counted them all.
    await waitFor(() => h.server.broker.topicStats('work').acked >= workCount, 'queue acks counted');
  });

  after(async () => {
    for (const c of [...publishers, ...fanout, ...queue]) c.destroy();
    await h.stop();
  });

  test(`all ${RELOADS} reloads were applied, each with the changes it made`, () => {
    assert.equal(reports.length, RELOADS);
    for (const r of reports) {
      assert.equal(r.outcome, 'applied', `${r.trigger}: ${r.problems.join('; ')}`);
      assert.ok(r.changes.length > 0);
    }
    assert.equal(
      reports.filter((r) => r.changes.includes('topic "extra": added (Fanout)')).length,
      RELOADS / 2,
    );
    assert.equal(reports.filter((r) => r.removedTopics.some((t) => t.name === 'extra')).length, RELOADS / 2);
  });

  test('the load ran through the reloads', () => {
    assert.ok(
      acceptedAtLastReload > acceptedAtFirstReload,
      `${acceptedAtFirstReload} -> ${acceptedAtLastReload}`,
    );
  });

  test('the last configuration is the one in force', () => {
    const last = spec(RELOADS);
    assert.equal(h.server.config.performance.batch_size, last.performance!.batch_size);
    assert.equal(h.server.config.server.max_connections, last.server!.max_connections);
    assert.equal(h.server.broker.getTopic('feed')?.settings.bufferSize, 1_000_000 + RELOADS * 1000);
    assert.equal(h.server.broker.hasTopic('extra'), false);
  });

  test('zero connections dropped and zero subscriptions lost', () => {
    assert.deepEqual(closes, []);
    for (const c of [...publishers, ...fanout, ...queue]) assert.equal(c.closed, false, c.name);
    assert.equal(subscriptionState(), subscriptionsBefore);
    assert.equal(h.server.broker.topicStats('feed').subscribers, FANOUT_SUBSCRIBERS);
    assert.equal(h.server.broker.topicStats('work').subscribers, QUEUE_CONSUMERS);
  });

  test('no client saw an error, a LAGGED notice or an undecodable frame', () => {
    assert.deepEqual(
      [...publishers, ...fanout, ...queue].flatMap((c) => c.troubles),
      [],
    );
  });

  test('every fanout subscriber got every accepted message, in seq order, without a gap', () => {
    const seqs = publishers
      .filter((p) => p.topic === 'feed')
      .flatMap((p) => p.accepted)
      .sort((a, b) => a - b);
    assert.ok(seqs.length > 0);
    // Accepted seqs are 1..n: the broker numbered every publish.
    assert.deepEqual(
      seqs,
      Array.from({ length: seqs.length }, (_, i) => i + 1),
    );
    for (const s of fanout) assert.deepEqual(s.seqs, seqs, s.name);
  });

  test('every accepted queue message was delivered and acked exactly once', () => {
    const acceptedSeqs = publishers
      .filter((p) => p.topic === 'work')
      .flatMap((p) => p.accepted)
      .sort((a, b) => a - b);
    const delivered = queue.flatMap((s) => s.seqs).sort((a, b) => a - b);
    assert.ok(acceptedSeqs.length > 0);
    assert.deepEqual(delivered, acceptedSeqs);
    assert.equal(
      queue.reduce((n, s) => n + s.redelivered, 0),
      0,
    );
    const stats = h.server.broker.topicStats('work');
    assert.equal(stats.acked, acceptedSeqs.length);
    assert.equal(stats.inFlight, 0);
    assert.equal(stats.depth, 0);
  });
});
