/**
 * Connection and server series: live connections by transport, opens by transport, closes by
 * reason, ERR frames sent by code, config reloads by outcome, and the process metrics, after
 * known connects, errors, reloads and closes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pkg from '../../package.json' with { type: 'json' };
import type { BrokerConfig } from '../../src/config/index.ts';
import { encodeHello, encodePub, encodeSubAck, encodeUnsub } from '../../src/protocol/index.ts';
import { ReloadOutcome } from '../../src/server/index.ts';
import { errFields, RawClient } from '../server/helpers/raw-client.ts';
import { type ObservedServer, roundTrip, startObserved } from './helpers/observed-server.ts';

const TOKEN = 'tok-5e1f0c9a-metrics-never-shown';

describe('connection metrics after known connects and closes', () => {
  let s: ObservedServer;
  before(async () => {
    s = await startObserved({ server: { auth_token: TOKEN, max_connections: 4 } });
  });
  after(() => s.stop());

  test('before any traffic every transport and reload outcome is listed at 0', async () => {
    const m = await s.scrape();
    for (const transport of ['unix', 'tcp']) {
      assert.equal(m.value('mycelium_connections', { transport }), 0);
      assert.equal(m.value('mycelium_connections_opened_total', { transport }), 0);
    }
    for (const outcome of ['applied', 'unchanged', 'rejected']) {
      assert.equal(m.value('mycelium_config_reloads_total', { outcome }), 0);
    }
    assert.deepEqual(m.series('mycelium_connections_closed_total'), []);
  });

  test('connections by transport, opens by transport and closes by reason match what happened', async () => {
    const u1 = await s.client('u1');
    await s.client('u2');
    await s.client('t1', { tcp: true, token: TOKEN });
    // A TCP client with the wrong token is opened, then closed as AUTH_FAILED.
    const bad = await RawClient.connect(s.tcp);
    bad.send(encodeHello('bad', 'wrong-token'));
    await s.closed(1);
    await s.client('u3');
    // max_connections = 4 reached: the next one is refused before it is opened.
    const refused = await RawClient.connect(s.unix);
    await s.closed(2);
    refused.destroy();
    u1.destroy();
    await s.closed(3);

    assert.deepEqual(
      s.closes.map((c) => c.reason),
      ['AUTH_FAILED', 'MAX_CONNECTIONS', 'CLIENT_CLOSED'],
    );
    const m = await s.scrape();
    assert.equal(m.value('mycelium_connections', { transport: 'unix' }), 2);
    assert.equal(m.value('mycelium_connections', { transport: 'tcp' }), 1);
    assert.equal(m.value('mycelium_connections_opened_total', { transport: 'unix' }), 3);
    assert.equal(m.value('mycelium_connections_opened_total', { transport: 'tcp' }), 2);
    assert.equal(m.value('mycelium_connections_closed_total', { reason: 'AUTH_FAILED' }), 1);
    assert.equal(m.value('mycelium_connections_closed_total', { reason: 'MAX_CONNECTIONS' }), 1);
    assert.equal(m.value('mycelium_connections_closed_total', { reason: 'CLIENT_CLOSED' }), 1);
    assert.equal(m.series('mycelium_connections_closed_total').length, 3);
  });

  test("config reloads are counted by the outcome of the server's reload event", async () => {
    const start = s.server.config;
    const withServer = (server: Partial<BrokerConfig['server']>): BrokerConfig => ({
      ...start,
      server: { ...start.server, ...server },
    });
    // Each row: the configuration reloaded, the outcome the server reports.
    const reloads: [BrokerConfig, ReloadOutcome][] = [
      [withServer({ max_connections: 6 }), ReloadOutcome.Applied],
      [withServer({ max_connections: 4 }), ReloadOutcome.Applied],
      [start, ReloadOutcome.Unchanged],
      [withServer({ socket_path: '/tmp/elsewhere.sock' }), ReloadOutcome.Rejected],
    ];
    for (const [config, outcome] of reloads) {
      assert.equal((await s.server.reload(config)).outcome, outcome);
    }
    const m = await s.scrape();
    assert.equal(m.value('mycelium_config_reloads_total', { outcome: 'applied' }), 2);
    assert.equal(m.value('mycelium_config_reloads_total', { outcome: 'unchanged' }), 1);
    assert.equal(m.value('mycelium_config_reloads_total', { outcome: 'rejected' }), 1);
  });

  test('process and event-loop-lag metrics come with the Mycelium ones', async () => {
    const m = await s.scrape();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      assert.ok(m.has(name), `${name} is missing`);
    }
    assert.equal(m.value('mycelium_build_info', { version: pkg.version }), 1);
    assert.equal(m.value('mycelium_draining'), 0);
  });

  test('the auth token never appears in /metrics or /stats', async () => {
    for (const path of ['/metrics', '/stats']) {
      const reply = await s.get(path);
      assert.equal(reply.status, 200);
      assert.equal(reply.body.includes(TOKEN), false, `${path} shows the token`);
    }
    const stats = JSON.parse((await s.get('/stats')).body) as {
      server: { config: { server: Record<string, unknown>; secrets_set: string[] } };
    };
    assert.equal('auth_token' in stats.server.config.server, false);
    assert.deepEqual(stats.server.config.secrets_set, ['server.auth_token']);
  });
});

describe('ERR frames sent, by code', () => {
  let s: ObservedServer;
  before(async () => {
    s = await startObserved({ server: { max_connections: 2 } });
  });
  after(() => s.stop());

  test('no series before any ERR was sent', async () => {
    assert.deepEqual((await s.scrape()).series('mycelium_errors_sent_total'), []);
  });

  test('request-level and fatal ERRs are both counted, once per frame sent, by code', async () => {
    const c = await s.client('errs');
    // Two answers to single requests; the connection stays open.
    c.send(encodePub('no.such.topic', new Uint8Array(1), 1), encodeUnsub(9));
    const answers = await roundTrip(c);
    assert.deepEqual(
      answers.map((f) => errFields(f).code),
      ['TOPIC_NOT_FOUND', 'SUBSCRIPTION_NOT_FOUND'],
    );
    c.send(encodePub('no.such.topic', new Uint8Array(1), 2));
    await roundTrip(c);
    // A server-only op from a client is UNKNOWN_OP, fatal: one ERR, then the close.
    c.send(encodeSubAck(1, 1));
    const last = await c.untilClosed();
    assert.deepEqual(
      last.map((f) => errFields(f).code),
      ['UNKNOWN_OP'],
    );
    await s.closed(1);

    const m = await s.scrape();
    assert.equal(m.value('mycelium_errors_sent_total', { code: 'TOPIC_NOT_FOUND' }), 2);
    assert.equal(m.value('mycelium_errors_sent_total', { code: 'SUBSCRIPTION_NOT_FOUND' }), 1);
    assert.equal(m.value('mycelium_errors_sent_total', { code: 'UNKNOWN_OP' }), 1);
    assert.equal(m.series('mycelium_errors_sent_total').length, 3);
    assert.equal(m.types.get('mycelium_errors_sent_total'), 'counter');
  });

  test('a client refused at accept gets one ERR, counted like the others', async () => {
    await s.client('one');
    await s.client('two');
    const refused = await RawClient.connect(s.unix);
    const frames = await refused.untilClosed();
    assert.deepEqual(
      frames.map((f) => errFields(f).code),
      ['MAX_CONNECTIONS'],
    );
    const m = await s.scrape();
    assert.equal(m.value('mycelium_errors_sent_total', { code: 'MAX_CONNECTIONS' }), 1);
    assert.equal(m.value('mycelium_errors_sent_total', { code: 'TOPIC_NOT_FOUND' }), 2);
  });
});

describe('two servers in one process', () => {
  test('each has its own registry: traffic on one does not show on the other', async () => {
    const one = await startObserved({ topics: [{ name: 'shared' }] });
    const two = await startObserved({ topics: [{ name: 'shared' }] });
    try {
      one.server.broker.publish('shared', new Uint8Array(3));
      const [m1, m2] = await Promise.all([one.scrape(), two.scrape()]);
      assert.equal(m1.value('mycelium_messages_published_total', { topic: 'shared' }), 1);
      assert.equal(m2.value('mycelium_messages_published_total', { topic: 'shared' }), 0);
      assert.notEqual(one.metrics.registry, two.metrics.registry);
    } finally {
      await one.stop();
      await two.stop();
    }
  });
});
