/**
 * Every key the reloadable table (src/config/reloadable.ts) marks reloadable changes what the
 * running server does, not only its config object: each is changed alone by a reload, and the
 * settings the connections use (`settingsInForce`) or the broker's topic settings must show the
 * new value. The tables below must name every reloadable key, so a key made reloadable without
 * being applied live fails here (a config key accepted and doing nothing).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { RELOADABLE } from '../../src/config/index.ts';
import { topicSettingsFromConfig } from '../../src/server/topic-settings.ts';
import { sweepPeriodMs } from '../../src/server/sweeper.ts';
import { type ConfigSpec, type FileServer, startFromFile, type Table } from './helpers/file-server.ts';

const BASE_TOPICS: readonly Table[] = [
  { name: 'feed', routing: 'Fanout' },
  { name: 'jobs', routing: 'Queue', ack: 'manual', prefetch: 4 },
  { name: 'tasks', routing: 'Queue' },
];
const BASE: ConfigSpec = { topics: BASE_TOPICS };

/** A new value for every reloadable `[server]` key, each different from its default. */
const SERVER_CHANGES: Record<string, string | number> = {
  max_connections: 77,
  connection_timeout_ms: 1234,
  auth_token: 'a-new-token-for-this-test',
  heartbeat_interval_ms: 700,
  heartbeat_max_missed: 5,
  max_subscriptions_per_connection: 9,
  max_pending_bytes: 3 * 1024 * 1024,
  write_deadline_ms: 900,
  shutdown_grace_ms: 4321,
  log_level: 'debug',
};

/** A new value for every reloadable `[performance]` key. */
const PERFORMANCE_CHANGES: Record<string, number> = {
  channel_capacity: 333,
  batch_size: 44,
  flush_interval_ms: 3,
  publisher_stall_ms: 7,
};

/** A new value for every reloadable topic key except `name`, on a topic where the key applies. */
const TOPIC_CHANGES: Record<string, { topic: string; value: string | number }> = {
  buffer_size: { topic: 'feed', value: 123 },
  max_message_size: { topic: 'jobs', value: 7654 },
  overflow: { topic: 'jobs', value: 'block' },
  slow_consumer: { topic: 'feed', value: 'disconnect' },
  ack: { topic: 'tasks', value: 'manual' },
  prefetch: { topic: 'jobs', value: 8 },
  delivery_limit: { topic: 'jobs', value: 5 },
};

function reloadableKeys(table: Record<string, boolean>): string[] {
  return Object.keys(table)
    .filter((k) => table[k])
    .sort();
}

let h: FileServer | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Reloads BASE with `change` applied and checks the reload applied exactly one change. */
async function reloadWith(change: ConfigSpec): Promise<FileServer> {
  h = await startFromFile(BASE);
  await h.write({ ...BASE, ...change });
  const report = await h.server.reload();
  assert.equal(report.outcome, 'applied', report.problems.join('; '));
  assert.equal(report.changes.length, 1, report.changes.join('; '));
  return h;
}

describe('every reloadable key is applied live', () => {
  test('the tables here name every key the reloadable table marks reloadable', () => {
    assert.deepEqual(Object.keys(SERVER_CHANGES).sort(), reloadableKeys(RELOADABLE.server));
    assert.deepEqual(Object.keys(PERFORMANCE_CHANGES).sort(), reloadableKeys(RELOADABLE.performance));
    assert.deepEqual([...Object.keys(TOPIC_CHANGES), 'name'].sort(), reloadableKeys(RELOADABLE.topics));
    assert.deepEqual(reloadableKeys(RELOADABLE.metrics), []);
  });

  for (const [key, value] of Object.entries(SERVER_CHANGES)) {
    test(`server.${key}`, async () => {
      const { server } = await reloadWith({ server: { [key]: value } });
      const inForce = server.settingsInForce();
      const live = inForce.server[key as keyof typeof inForce.server];
      if (key === 'auth_token') {
        const matches = live as (candidate: string) => boolean;
        assert.equal(typeof matches, 'function', 'a token is required after the reload');
        assert.equal(matches(String(value)), true);
        assert.equal(matches('some-other-token'), false);
      } else {
        assert.equal(live, value);
      }
      const s = server.config.server;
      assert.equal(
        inForce.sweepPeriodMs,
        sweepPeriodMs(s.connection_timeout_ms, s.heartbeat_interval_ms, s.write_deadline_ms),
      );
    });
  }

  for (const [key, value] of Object.entries(PERFORMANCE_CHANGES)) {
    test(`performance.${key}`, async () => {
      const { server } = await reloadWith({ performance: { [key]: value } });
      const inForce = server.settingsInForce().performance;
      assert.equal(inForce[key as keyof typeof inForce], value);
    });
  }

  for (const [key, { topic, value }] of Object.entries(TOPIC_CHANGES)) {
    test(`topics.${key} (on "${topic}")`, async () => {
      const topics: Table[] = BASE_TOPICS.map((t) => (t.name === topic ? { ...t, [key]: value } : { ...t }));
      const { server } = await reloadWith({ topics });
      const configured = server.config.topics.find((t) => t.name === topic)!;
      assert.equal(configured[key as keyof typeof configured], value);
      assert.deepEqual(server.broker.getTopic(topic)?.settings, topicSettingsFromConfig(configured));
    });
  }

  test('topics.name: a renamed topic is removed and the new name created', async () => {
    const topics: Table[] = BASE_TOPICS.map((t) => (t.name === 'feed' ? { ...t, name: 'feed2' } : { ...t }));
    h = await startFromFile(BASE);
    await h.write({ topics });
    const report = await h.server.reload();
    assert.equal(report.outcome, 'applied');
    assert.equal(h.server.broker.hasTopic('feed'), false);
    assert.equal(h.server.broker.hasTopic('feed2'), true);
  });

  test('an unchanged server reports what it started with', async () => {
    h = await startFromFile(BASE);
    const inForce = h.server.settingsInForce();
    const s = h.server.config.server;
    assert.equal(inForce.server.auth_token, undefined);
    assert.equal(inForce.server.max_pending_bytes, s.max_pending_bytes);
    assert.equal(inForce.performance.batch_size, h.server.config.performance.batch_size);
  });
});
