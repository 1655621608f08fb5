/**
 * A reload that passes applies every change live, to connections that are already open as well as
 * new ones, and reports what it did (docs/operations.md, Hot reload).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { writeFile } from 'node:fs/promises';
import { encodeHello, encodePing, encodePub, encodeSub, Op, StartKind } from '../../src/protocol/index.ts';
import { errFields, RawClient } from '../server/helpers/raw-client.ts';
import { type ConfigSpec, configHash, type FileServer, startFromFile } from './helpers/file-server.ts';

const BASE: ConfigSpec = {
  topics: [
    { name: 'feed', routing: 'Fanout' },
    { name: 'jobs', routing: 'Queue', ack: 'manual', prefetch: 1 },
  ],
};

let h: FileServer | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** BASE with `server` and `performance` keys added. */
function withSettings(server: ConfigSpec['server'], performance: ConfigSpec['performance'] = {}): ConfigSpec {
  return { ...BASE, server, performance };
}

describe('an applied reload', () => {
  test('replaces server.config, emits `reload` and logs one line listing every change', async () => {
    h = await startFromFile(BASE);
    const before = h.server.config;
    await h.write(withSettings({ max_connections: 50 }, { batch_size: 10 }));
    const report = await h.server.reload();
    assert.equal(report.outcome, 'applied');
    assert.deepEqual(report.changes, [
      'server.max_connections: 1000 -> 50',
      'performance.batch_size: 1000 -> 10',
    ]);
    assert.notEqual(h.server.config, before);
    assert.equal(h.server.config.server.max_connections, 50);
    assert.deepEqual(h.reloads, [report]);
    const lines = h.logs.where(/^config reload/);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.msg, 'config reload applied');
    assert.deepEqual(lines[0]!.changes, report.changes);
  });

  test('an unchanged file is reported unchanged and the config object stays the same', async () => {
    h = await startFromFile(BASE);
    const before = h.server.config;
    const report = await h.server.reload();
    assert.equal(report.outcome, 'unchanged');
    assert.deepEqual(report.changes, []);
    assert.equal(h.server.config, before);
    assert.equal(h.reloads.length, 1);
  });

  test('a lower max_connections refuses the next client and keeps the ones connected', async () => {
    h = await startFromFile(BASE);
    const a = await h.client('a');
    const b = await h.client('b');
    await h.write(withSettings({ max_connections: 2 }));
    assert.equal((await h.server.reload()).outcome, 'applied');
    const refused = await RawClient.connect(h.unix);
    const [err] = await refused.untilClosed();
    assert.equal(errFields(err!).code, 'MAX_CONNECTIONS');
    for (const c of [a, b]) {
      c.send(encodePing());
      assert.deepEqual(await c.next(), { op: 'PONG' });
    }
  });

  test('a lower max_subscriptions_per_connection keeps existing subscriptions and refuses new ones', async () => {
    h = await startFromFile(BASE);
    const c = await h.client('subs');
    c.send(encodeSub(1, 'feed'), encodeSub(2, 'jobs'));
    await c.take(2);
    await h.write(withSettings({ max_subscriptions_per_connection: 1 }));
    assert.equal((await h.server.reload()).outcome, 'applied');
    c.send(encodeSub(3, 'feed'));
    assert.deepEqual(errFields(await c.next()), { code: 'TOO_MANY_SUBSCRIPTIONS', refOp: Op.SUB, ref: 3 });
    assert.equal(h.server.connections.list()[0]!.subscriptions, 2);
    c.send(encodePub('feed', Buffer.from('still subscribed'), 1));
    const frames = await c.take(2);
    assert.deepEqual(frames.map((f) => f.op).sort(), ['MSG', 'PUBACK']);
  });

  test('a new auth_token is required of new TCP clients; connected ones stay', async () => {
    h = await startFromFile(BASE);
    const old = await h.client('before-token', { tcp: true });
    await h.write(withSettings({ auth_token: 'rotated-secret-1' }));
    assert.equal((await h.server.reload()).outcome, 'applied');
    const denied = await RawClient.connect(h.tcp);
    denied.send(encodeHello('no-token'));
    const [err] = await denied.untilClosed();
    assert.equal(errFields(err!).code, 'AUTH_FAILED');
    await h.client('with-token', { tcp: true, token: 'rotated-secret-1' });
    old.send(encodePing());
    assert.deepEqual(await old.next(), { op: 'PONG' });
  });

  test('a lower heartbeat_interval_ms pings silent connections and is announced to new ones', async () => {
    h = await startFromFile(BASE);
    const silent = await h.client('silent');
    await h.write(withSettings({ heartbeat_interval_ms: 100 }));
    assert.equal((await h.server.reload()).outcome, 'applied');
    assert.deepEqual(await silent.next(), { op: 'PING' });
    const fresh = await RawClient.connect(h.unix);
    fresh.send(encodeHello('fresh'));
    const welcome = await fresh.next();
    assert.equal(welcome.op === 'WELCOME' && welcome.heartbeatIntervalMs, 100);
    fresh.destroy();
  });

  test('a lower max_pending_bytes applies to a connection that was open before the reload', async () => {
    h = await startFromFile({ topics: [{ name: 'big', routing: 'Fanout' }] });
    const sub = await h.client('sub');
    sub.send(encodeSub(1, 'big'));
    await sub.next();
    await h.write({ topics: [{ name: 'big', routing: 'Fanout' }], server: { max_pending_bytes: 1024 } });
    assert.equal((await h.server.reload()).outcome, 'applied');
    const pub = await h.client('pub');
    pub.send(encodePub('big', Buffer.alloc(4096), 1));
    const [last] = (await sub.untilClosed()).slice(-1);
    assert.equal(errFields(last!).code, 'SLOW_CONSUMER');
    const closed = h.server.connections.list().map((c) => c.clientName);
    assert.deepEqual(closed, ['pub']);
  });

  test('topic settings change live: a smaller max_message_size refuses larger payloads at once', async () => {
    h = await startFromFile(BASE);
    const c = await h.client('pub');
    await h.write({ topics: [{ name: 'feed', routing: 'Fanout', max_message_size: 8 }, BASE.topics![1]!] });
    const report = await h.server.reload();
    assert.deepEqual(report.changes, ['topic "feed" max_message_size: 1048576 -> 8']);
    assert.equal(h.server.broker.getTopic('feed')?.settings.maxMessageSize, 8);
    c.send(encodePub('feed', Buffer.alloc(9), 4));
    assert.deepEqual(errFields(await c.next()), { code: 'MESSAGE_TOO_LARGE', refOp: Op.PUB, ref: 4 });
  });

  test('delivery_limit changes live, like prefetch: the broker topic takes the new limit', async () => {
    h = await startFromFile(BASE);
    await h.write({ topics: [BASE.topics![0]!, { ...BASE.topics![1]!, delivery_limit: 3 }] });
    const report = await h.server.reload();
    assert.deepEqual(report.changes, ['topic "jobs" delivery_limit: 20 -> 3']);
    assert.equal(h.server.broker.getTopic('jobs')?.settings.deliveryLimit, 3);
  });

  test('env and flag overrides from the start keep winning over the file after a reload', async () => {
    h = await startFromFile(BASE, {
      env: { MYCELIUM_SERVER__MAX_CONNECTIONS: '77' },
      overrides: [{ key: 'server.log_level', value: 'debug', source: '--log-level' }],
    });
    assert.equal(h.server.config.server.max_connections, 77);
    await h.write(
      withSettings({ max_connections: 50, log_level: 'warn', max_subscriptions_per_connection: 5 }),
    );
    const report = await h.server.reload();
    assert.deepEqual(report.changes, ['server.max_subscriptions_per_connection: 1024 -> 5']);
    assert.equal(h.server.config.server.max_connections, 77);
    assert.equal(h.server.config.server.log_level, 'debug');
  });

  test('log_level is changed on the running logger', async () => {
    h = await startFromFile(BASE);
    await h.write(withSettings({ log_level: 'warn' }));
    await h.server.reload();
    assert.equal(h.logs.logger.level, 'warn');
  });

  test('reloads asked for together run one at a time, in order', async () => {
    h = await startFromFile(BASE);
    const a = `${h.dir}/a.toml`;
    const b = `${h.dir}/b.toml`;
    await writeFile(a, h.toml(withSettings({ max_connections: 10 })));
    await writeFile(b, h.toml(withSettings({ max_connections: 20 })));
    const [ra, rb] = await Promise.all([h.server.reload({ file: a }), h.server.reload({ file: b })]);
    assert.deepEqual(ra.changes, ['server.max_connections: 1000 -> 10']);
    assert.deepEqual(rb.changes, ['server.max_connections: 10 -> 20']);
    assert.equal(h.server.config.server.max_connections, 20);
  });

  test('a configuration object can be reloaded too, and is validated like a file', async () => {
    h = await startFromFile(BASE);
    const next = { ...h.server.config, server: { ...h.server.config.server, max_connections: 7 } };
    assert.equal((await h.server.reload(next)).outcome, 'applied');
    assert.equal(h.server.config.server.max_connections, 7);
    const hash = configHash(h.server);
    const bad = { ...h.server.config, server: { ...h.server.config.server, max_connections: 0 } };
    const report = await h.server.reload(bad);
    assert.equal(report.outcome, 'rejected');
    assert.equal(report.code, 'CONFIG_INVALID');
    assert.equal(configHash(h.server), hash);
  });

  test('the token is never logged nor reported, whether a reload applies it or rejects it', async () => {
    const secret = 'Sup3r-Secret-Token-Value';
    h = await startFromFile(BASE, { logLevel: 'trace' });
    await h.write(withSettings({ auth_token: secret, log_level: 'trace' }));
    const applied = await h.server.reload();
    assert.deepEqual(applied.changes, ['server.auth_token: set', 'server.log_level: "info" -> "trace"']);
    await h.write(withSettings({ auth_token: `${secret}-2`, log_level: 'trace', port: 1 }));
    const rejected = await h.server.reload();
    assert.equal(rejected.outcome, 'rejected');
    await h.write(`[server]\nauth_token = "${secret}"\nbogus = 1\n`);
    await h.server.reload();
    await h.client('tcp', { tcp: true, token: secret });
    assert.ok(!h.logs.text.includes(secret), 'the token appears in the logs');
    for (const r of h.reloads)
      assert.ok(!JSON.stringify(r).includes(secret), 'the token appears in a report');
  });
});

describe('a reload that removes a topic', () => {
  test('ends its subscriptions with TOPIC_DELETED, keeps the connections and reports the dropped messages', async () => {
    h = await startFromFile(BASE);
    const fan = await h.client('fan');
    fan.send(encodeSub(1, 'feed'));
    await fan.next();
    const worker = await h.client('worker');
    worker.send(encodeSub(7, 'jobs'));
    await worker.next();
    const pub = await h.client('pub');
    for (let i = 1; i <= 5; i++) pub.send(encodePub('jobs', Buffer.from(`job ${i}`), i));
    await pub.take(5);
    const held = await worker.next(); // prefetch 1: one delivery in flight, four waiting
    assert.equal(held.op, 'MSG');

    await h.write({ topics: [] });
    const report = await h.server.reload();
    assert.equal(report.outcome, 'applied');
    assert.deepEqual(report.removedTopics, [
      { name: 'feed', subscriptions: 1, droppedQueued: 0, droppedUnacked: 0 },
      { name: 'jobs', subscriptions: 1, droppedQueued: 4, droppedUnacked: 1 },
    ]);
    assert.ok(
      report.effects.includes(
        'topic "jobs" removed: 1 subscription ended with TOPIC_DELETED, 4 waiting messages and 1 unacked delivery dropped',
      ),
      report.effects.join('\n'),
    );
    assert.deepEqual(errFields(await fan.next()), { code: 'TOPIC_DELETED', refOp: Op.SUB, ref: 1 });
    assert.deepEqual(errFields(await worker.next()), { code: 'TOPIC_DELETED', refOp: Op.SUB, ref: 7 });
    for (const c of [fan, worker]) {
      c.send(encodePing());
      assert.deepEqual(await c.next(), { op: 'PONG' });
    }
    assert.equal(h.server.connections.count, 3);
    pub.send(encodePub('jobs', Buffer.from('late'), 9));
    assert.deepEqual(errFields(await pub.next()), { code: 'TOPIC_NOT_FOUND', refOp: Op.PUB, ref: 9 });
  });

  test('a topic added back under the same name starts a new topic a subscriber can join', async () => {
    h = await startFromFile(BASE);
    await h.write({ topics: [BASE.topics![1]!] });
    await h.server.reload();
    await h.write(BASE);
    const report = await h.server.reload();
    assert.deepEqual(report.changes, ['topic "feed": added (Fanout)']);
    const c = await h.client('again');
    c.send(encodeSub(1, 'feed', StartKind.New, 0));
    assert.equal((await c.next()).op, 'SUB_ACK');
  });
});
