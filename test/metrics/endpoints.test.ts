/**
 * The HTTP surface: routes and methods, liveness and readiness through a graceful shutdown, the
 * `/stats` document, and how the listener starts and stops with a server.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pkg from '../../package.json' with { type: 'json' };
import { validateConfig } from '../../src/config/index.ts';
import { MyceliumError } from '../../src/errors.ts';
import { type StatsDocument, serveMetrics, startMetrics } from '../../src/metrics/index.ts';
import { buildStats } from '../../src/metrics/stats.ts';
import { encodeAck, encodeSub, type Frame } from '../../src/protocol/index.ts';
import { createLogger, startServer } from '../../src/server/index.ts';
import { tempDir } from '../server/helpers/socket-pair.ts';
import { httpRequest, type ObservedServer, roundTrip, startObserved } from './helpers/observed-server.ts';
import { parseMetrics } from './helpers/prom-text.ts';

describe('routes', () => {
  let s: ObservedServer;
  before(async () => {
    s = await startObserved({ topics: [{ name: 'orders', routing: 'Queue', ack: 'manual' }] });
  });
  after(() => s.stop());

  test('/healthz and /readyz answer 200 while the server runs', async () => {
    const health = await s.get('/healthz');
    const ready = await s.get('/readyz');
    assert.deepEqual([health.status, health.body], [200, 'ok\n']);
    assert.deepEqual([ready.status, ready.body], [200, 'ready\n']);
  });

  test('/metrics is Prometheus text; a query string does not change the route', async () => {
    const reply = await s.get('/metrics?name[]=x');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(parseMetrics(reply.body).value('mycelium_topic_subscribers', { topic: 'orders' }), 0);
  });

  test('unknown paths are 404 whatever the method', async () => {
    const cases: [method: string, path: string][] = [
      ['GET', '/'],
      ['GET', '/metric'],
      ['GET', '/METRICS'],
      ['GET', '/stats/topics'],
      ['GET', '/metrics/'],
      ['POST', '/nope'],
    ];
    for (const [method, path] of cases) {
      const reply = await s.get(path, method);
      assert.equal(reply.status, 404, `${method} ${path}`);
    }
  });

  test('known paths with a method other than GET are 405 with Allow: GET', async () => {
    const cases: [method: string, path: string][] = [
      ['POST', '/metrics'],
      ['PUT', '/stats'],
      ['DELETE', '/healthz'],
      ['PATCH', '/readyz'],
      ['HEAD', '/metrics'],
      ['OPTIONS', '/stats'],
    ];
    for (const [method, path] of cases) {
      const reply = await s.get(path, method);
      assert.equal(reply.status, 405, `${method} ${path}`);
      assert.equal(reply.headers.allow, 'GET', `${method} ${path}`);
    }
  });

  test('/stats has the server, its topics and its connections', async () => {
    const client = await s.client('stats-reader');
    client.send(encodeSub(3, 'orders'));
    await roundTrip(client);
    const reply = await s.get('/stats');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/json; charset=utf-8');
    const doc = JSON.parse(reply.body) as StatsDocument;
    const { server } = doc;
    assert.equal(server.name, 'mycelium');
    assert.equal(server.version, pkg.version);
    assert.ok(Number.isInteger(server.uptime_s) && server.uptime_s >= 0);
    assert.equal(Number.isNaN(Date.parse(server.started_at)), false);
    assert.deepEqual(server.addresses, {
      unix: s.server.addresses.unix,
      tcp: s.server.addresses.tcp,
      http: s.metrics.addresses.http,
    });
    assert.equal(server.connections, 1);
    assert.equal(server.draining, false);
    assert.deepEqual(Object.keys(server.config), [
      'server',
      'performance',
      'metrics',
      'topics',
      'secrets_set',
    ]);
    assert.equal(server.config.server.max_connections, s.server.config.server.max_connections);
    // A queue topic with manual acks lists the keys that apply to it, like `config check`.
    assert.deepEqual(server.config.topics, [
      {
        name: 'orders',
        routing: 'Queue',
        buffer_size: 10000,
        max_message_size: 1048576,
        overflow: 'reject',
        ack: 'manual',
        prefetch: 64,
        delivery_limit: 20,
      },
    ]);
    assert.deepEqual(doc.topics, [
      {
        name: 'orders',
        routing: 'Queue',
        next_seq: 1,
        subscribers: 1,
        depth: 0,
        in_flight: 0,
        max_lag: 0,
        published: 0,
        published_bytes: 0,
        delivered: 0,
        redelivered: 0,
        acked: 0,
        rejected: 0,
        dropped_overflow: 0,
        dropped_lagged: 0,
        dropped_deleted: 0,
        dropped_delivery_limit: 0,
        slow_consumer_evictions: 0,
      },
    ]);
    assert.equal(doc.connections.length, 1);
    const [conn] = doc.connections;
    assert.deepEqual(
      { ...conn, id: 0 },
      {
        id: 0,
        transport: 'unix',
        remote: 'unix',
        client_name: 'stats-reader',
        established: true,
        subscription_count: 1,
        subscriptions: [{ sid: 3, topic: 'orders' }],
        pending_bytes: 0,
      },
    );
  });

  test("/stats lists each connection's subscriptions by sid, and uptime counts from the server's start", async () => {
    s.server.broker.createTopic('audit.log', { routing: 'Fanout' });
    const a = await s.client('two-subs');
    a.send(encodeSub(9, 'orders'), encodeSub(2, 'audit.log'));
    await roundTrip(a);
    const b = await s.client('no-subs', { tcp: true });
    await roundTrip(b);
    const doc = JSON.parse((await s.get('/stats')).body) as StatsDocument;
    const byName = new Map(doc.connections.map((c) => [c.client_name, c]));
    assert.deepEqual(byName.get('two-subs')?.subscriptions, [
      { sid: 2, topic: 'audit.log' },
      { sid: 9, topic: 'orders' },
    ]);
    assert.equal(byName.get('two-subs')?.subscription_count, 2);
    assert.deepEqual(byName.get('no-subs')?.subscriptions, []);
    assert.equal(byName.get('no-subs')?.subscription_count, 0);
    assert.equal(doc.server.started_at, s.server.startedAt.toISOString());
    const later = new Date(s.server.startedAt.getTime() + 90_500);
    const http = s.metrics.addresses.http;
    assert.equal(buildStats(s.server, { version: pkg.version, http }, later).server.uptime_s, 90);
  });
});

describe('readiness through a graceful shutdown', () => {
  test('/readyz is 503 once draining and after close; /healthz stays 200', async () => {
    const s = await startObserved({
      server: { shutdown_grace_ms: 600_000 },
      topics: [{ name: 'jobs', routing: 'Queue', ack: 'manual' }],
    });
    try {
      // An unacked delivery holds the drain open until the consumer acks it.
      s.server.broker.publish('jobs', new Uint8Array(1));
      const consumer = await s.client('consumer');
      consumer.send(encodeSub(1, 'jobs'));
      let msg: Frame | undefined;
      while (msg?.op !== 'MSG') msg = await consumer.next();
      assert.equal((await s.get('/readyz')).status, 200);

      const draining = once(s.server, 'draining');
      const shutdown = s.server.shutdown();
      await draining;
      const ready = await s.get('/readyz');
      assert.deepEqual([ready.status, ready.body], [503, 'draining\n']);
      assert.equal((await s.get('/healthz')).status, 200);
      assert.equal((JSON.parse((await s.get('/stats')).body) as StatsDocument).server.draining, true);
      assert.equal((await s.scrape()).value('mycelium_draining'), 1);

      consumer.send(encodeAck(1, msg.seq));
      await shutdown;
      const closed = await s.get('/readyz');
      assert.deepEqual([closed.status, closed.body], [503, 'closed\n']);
      assert.equal((await s.get('/healthz')).status, 200);
    } finally {
      await s.stop();
    }
  });
});

describe('starting and stopping', () => {
  async function server(metrics: { enabled?: boolean; port?: number } = {}) {
    const { dir, cleanup } = await tempDir();
    const config = validateConfig({
      server: { socket_path: join(dir, 'm.sock'), port: 0, log_level: 'silent' },
      metrics: { bind_address: '127.0.0.1', port: 0, ...metrics },
    });
    const srv = await startServer(config, { logger: createLogger('silent', { pretty: false }) });
    return { srv, config, cleanup };
  }

  test('a metrics port already in use fails with LISTEN_FAILED and leaves the server running', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    const { srv, config, cleanup } = await server({ port });
    try {
      // A listener that starts anyway is closed, so the test fails instead of hanging.
      const started = startMetrics(srv, config.metrics).then((m) => m.close());
      await assert.rejects(started, (err: unknown) => {
        assert.ok(err instanceof MyceliumError);
        assert.equal(err.code, 'LISTEN_FAILED');
        return true;
      });
      assert.equal(srv.draining, false);
      assert.equal(srv.listenerCount('connection_opened'), 0);
      assert.equal(srv.listenerCount('reload'), 0);
    } finally {
      blocker.close();
      await srv.close();
      await cleanup();
    }
  });

  test('serveMetrics starts nothing when [metrics] enabled = false', async () => {
    const { srv, cleanup } = await server({ enabled: false });
    try {
      assert.equal(await serveMetrics(srv), undefined);
    } finally {
      await srv.close();
      await cleanup();
    }
  });

  test('serveMetrics closes the listener when the server closes', async () => {
    const { srv, cleanup } = await server();
    try {
      const handle = await serveMetrics(srv);
      assert.ok(handle !== undefined);
      assert.equal((await httpRequest(`${handle.url}/healthz`)).status, 200);
      await srv.close();
      await handle.close(); // the same close the server's 'closed' started
      await assert.rejects(httpRequest(`${handle.url}/healthz`), { code: 'ECONNREFUSED' });
    } finally {
      await srv.close(); // closed above unless an assertion failed first; closes the listener too
      await cleanup();
    }
  });

  test('serveMetrics closes the server when the metrics address cannot be bound', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    const { srv, cleanup } = await server({ port });
    try {
      const closed = once(srv, 'closed');
      await assert.rejects(serveMetrics(srv), { code: 'LISTEN_FAILED' });
      await closed;
    } finally {
      blocker.close();
      await srv.close(); // closed by serveMetrics unless it failed to
      await cleanup();
    }
  });
});
