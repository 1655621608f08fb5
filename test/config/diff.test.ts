import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type BrokerConfig,
  CONFIG_KEYS,
  type ConfigChange,
  describeChange,
  diffConfig,
  parseConfig,
  planReload,
  RELOADABLE,
} from '../../src/config/index.ts';
import { configError, EXAMPLE_TEXT } from './helpers.ts';

const base = parseConfig(EXAMPLE_TEXT);

/** The example with each `[from, to]` text replaced, parsed. */
function edited(replace: [string, string][]): BrokerConfig {
  let text = EXAMPLE_TEXT;
  for (const [from, to] of replace) {
    assert.ok(text.includes(from), `example has no ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  return parseConfig(text);
}

describe('diffConfig', () => {
  test('identical configurations have no changes', () => {
    assert.deepEqual(diffConfig(base, parseConfig(EXAMPLE_TEXT)), []);
  });

  test('a topic added is reported whole and is reloadable', () => {
    const next = parseConfig(`${EXAMPLE_TEXT}\n[[topics]]\nname = "audit"\nrouting = "Queue"\n`);
    const changes = diffConfig(base, next);
    assert.equal(changes.length, 1);
    const [change] = changes;
    assert.equal(change?.kind, 'topic_added');
    assert.ok(change?.kind === 'topic_added');
    assert.equal(change.topic.name, 'audit');
    assert.equal(change.topic.routing, 'Queue');
    assert.equal(change.reloadable, true);
  });

  test('a topic removed is reported by name and is reloadable', () => {
    const next = edited([['name = "signals"', 'name = "signals2"']]);
    assert.deepEqual(diffConfig(base, next), [
      { kind: 'topic_removed', name: 'signals', reloadable: true },
      { kind: 'topic_added', topic: next.topics[1], reloadable: true },
    ]);
  });

  test('a changed topic field is reported with both values and is reloadable', () => {
    const next = edited([['buffer_size = 100000\n', 'buffer_size = 200000\n']]);
    assert.deepEqual(diffConfig(base, next), [
      {
        kind: 'topic_changed',
        name: 'signals',
        field: 'buffer_size',
        from: 100000,
        to: 200000,
        reloadable: true,
      },
    ]);
  });

  test('a changed topic routing is not reloadable', () => {
    const next = edited([['routing = "Queue"            # Load balance', 'routing = "Fanout" #']]);
    assert.deepEqual(diffConfig(base, next), [
      {
        kind: 'topic_changed',
        name: 'execution',
        field: 'routing',
        from: 'Queue',
        to: 'Fanout',
        reloadable: false,
      },
    ]);
  });

  test('a reloadable server key and a listener key are told apart', () => {
    const next = edited([['max_connections = 1000', 'max_connections = 10\nport = 7421']]);
    assert.deepEqual(diffConfig(base, next), [
      { kind: 'setting_changed', section: 'server', key: 'port', from: 7420, to: 7421, reloadable: false },
      {
        kind: 'setting_changed',
        section: 'server',
        key: 'max_connections',
        from: 1000,
        to: 10,
        reloadable: true,
      },
    ]);
  });

  test('worker_threads is not reloadable; other performance keys are', () => {
    const next = edited([
      ['worker_threads = 8', 'worker_threads = 4'],
      ['batch_size = 1000', 'batch_size = 10'],
    ]);
    assert.deepEqual(
      diffConfig(base, next).map((c) => (c.kind === 'setting_changed' ? [c.key, c.reloadable] : c.kind)),
      [
        ['worker_threads', false],
        ['batch_size', true],
      ],
    );
  });

  test('metrics keys are not reloadable', () => {
    const next = parseConfig(`${EXAMPLE_TEXT}\n[metrics]\nport = 9100\n`);
    assert.deepEqual(diffConfig(base, next), [
      { kind: 'setting_changed', section: 'metrics', key: 'port', from: 9464, to: 9100, reloadable: false },
    ]);
  });

  test('each change is flagged as the reloadability table says', () => {
    for (const key of CONFIG_KEYS) {
      const table = RELOADABLE[key.section] as Record<string, boolean>;
      assert.equal(table[key.key], key.reloadable, key.path);
    }
  });

  test('is pure: same inputs, same output, inputs untouched', () => {
    const next = edited([['batch_size = 1000', 'batch_size = 10']]);
    const before = JSON.stringify([base, next]);
    assert.deepEqual(diffConfig(base, next), diffConfig(base, next));
    assert.equal(JSON.stringify([base, next]), before);
  });
});

describe('describeChange', () => {
  // [change, line]
  const CASES: [ConfigChange, string][] = [
    [
      {
        kind: 'setting_changed',
        section: 'server',
        key: 'max_connections',
        from: 1000,
        to: 50,
        reloadable: true,
      },
      'server.max_connections: 1000 -> 50',
    ],
    [
      {
        kind: 'setting_changed',
        section: 'server',
        key: 'log_level',
        from: 'info',
        to: 'debug',
        reloadable: true,
      },
      'server.log_level: "info" -> "debug"',
    ],
    [{ kind: 'topic_removed', name: 'signals', reloadable: true }, 'topic "signals": removed'],
    [{ kind: 'topic_added', topic: base.topics[2]!, reloadable: true }, 'topic "execution": added (Queue)'],
    [
      { kind: 'topic_changed', name: 'signals', field: 'buffer_size', from: 1, to: 2, reloadable: true },
      'topic "signals" buffer_size: 1 -> 2',
    ],
  ];
  for (const [change, line] of CASES) {
    test(line, () => assert.equal(describeChange(change), line));
  }

  test('never writes out a secret', () => {
    const next = parseConfig(`${EXAMPLE_TEXT.replace('[server]', '[server]\nauth_token = "hunter2"')}`);
    const [change] = diffConfig(base, next);
    assert.ok(change !== undefined);
    assert.equal(describeChange(change), 'server.auth_token: set');
    const [back] = diffConfig(next, base);
    assert.equal(describeChange(back!), 'server.auth_token: removed');
  });
});

describe('planReload', () => {
  test('returns the changes when all are reloadable', () => {
    const next = edited([['max_connections = 1000', 'max_connections = 10']]);
    assert.equal(planReload(base, next).length, 1);
  });

  test('refuses the whole reload with CONFIG_NOT_RELOADABLE, naming each blocking change', () => {
    const next = edited([
      ['max_connections = 1000', 'max_connections = 10'],
      ['socket_path = "/tmp/mycelium.sock"', 'socket_path = "/tmp/other.sock"'],
      ['routing = "Queue"            # Load balance', 'routing = "Fanout" #'],
    ]);
    const error = configError(() => planReload(base, next), 'CONFIG_NOT_RELOADABLE');
    assert.deepEqual(error.problems, [
      'server.socket_path: cannot change without a restart ("/tmp/mycelium.sock" -> "/tmp/other.sock")',
      'topic "execution" routing: cannot change without a restart ("Queue" -> "Fanout")',
    ]);
  });
});
