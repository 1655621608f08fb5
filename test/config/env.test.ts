import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig, parseConfig } from '../../src/config/index.ts';
import { EXAMPLE_PATH, EXAMPLE_TEXT, envProblems } from './helpers.ts';

describe('MYCELIUM_<SECTION>__<KEY> overrides a setting', () => {
  // [variable, value, section, key, expected]
  const CASES: [string, string, string, string, unknown][] = [
    ['MYCELIUM_SERVER__MAX_CONNECTIONS', '50', 'server', 'max_connections', 50],
    ['MYCELIUM_PERFORMANCE__BATCH_SIZE', '250', 'performance', 'batch_size', 250],
    ['MYCELIUM_METRICS__PORT', '9100', 'metrics', 'port', 9100],
    ['MYCELIUM_METRICS__ENABLED', 'false', 'metrics', 'enabled', false],
    ['MYCELIUM_METRICS__ENABLED', 'TRUE', 'metrics', 'enabled', true],
    ['MYCELIUM_SERVER__LOG_LEVEL', 'debug', 'server', 'log_level', 'debug'],
    ['MYCELIUM_SERVER__SOCKET_PATH', '/run/m.sock', 'server', 'socket_path', '/run/m.sock'],
    ['MYCELIUM_SERVER__AUTH_TOKEN', ' spaced token ', 'server', 'auth_token', ' spaced token '],
    ['MYCELIUM_SERVER__PORT', ' 0 ', 'server', 'port', 0],
    ['MYCELIUM_server__max_connections', '7', 'server', 'max_connections', 7],
  ];
  for (const [name, value, section, key, expected] of CASES) {
    test(`${name}=${JSON.stringify(value)} sets ${section}.${key}`, async () => {
      const loaded = await loadConfig({ file: EXAMPLE_PATH, env: { [name]: value } });
      const config = loaded.config as unknown as Record<string, Record<string, unknown>>;
      assert.deepEqual(config[section]?.[key], expected);
      assert.deepEqual(loaded.applied, [name]);
    });
  }

  test('an env value beats the file', () => {
    assert.equal(parseConfig(EXAMPLE_TEXT).server.max_connections, 1000);
    const config = parseConfig(EXAMPLE_TEXT, { env: { MYCELIUM_SERVER__MAX_CONNECTIONS: '50' } });
    assert.equal(config.server.max_connections, 50);
  });

  test('an env value fills a section the file does not have', () => {
    const config = parseConfig(EXAMPLE_TEXT, { env: { MYCELIUM_METRICS__PORT: '9999' } });
    assert.equal(config.metrics.port, 9999);
  });

  test('overrides apply over the built-in defaults too', async () => {
    const loaded = await loadConfig({ env: { MYCELIUM_SERVER__PORT: '0' } });
    assert.equal(loaded.config.server.port, 0);
  });
});

describe('variables that are not overrides', () => {
  test('MYCELIUM_CONFIG and plain MYCELIUM_* names are left alone', () => {
    const env = { MYCELIUM_CONFIG: '/nowhere.toml', MYCELIUM_URL: 'tcp://x', MYCELIUM_: 'x', OTHER__X: '1' };
    assert.deepEqual(parseConfig(EXAMPLE_TEXT, { env }), parseConfig(EXAMPLE_TEXT));
  });

  test('parseConfig reads no environment unless given one', () => {
    process.env.MYCELIUM_SERVER__MAX_CONNECTIONS = '3';
    try {
      assert.equal(parseConfig(EXAMPLE_TEXT).server.max_connections, 1000);
    } finally {
      delete process.env.MYCELIUM_SERVER__MAX_CONNECTIONS;
    }
  });
});

describe('bad env overrides are reported with the variable as the source', () => {
  // [env, the exact problem]
  const CASES: [Record<string, string>, string][] = [
    [
      { MYCELIUM_SERVER__MAX_CONNECTIONS: 'abc' },
      'MYCELIUM_SERVER__MAX_CONNECTIONS (server.max_connections): must be an integer >= 1 (got "abc")',
    ],
    [
      { MYCELIUM_SERVER__MAX_CONNECTIONS: '0' },
      'MYCELIUM_SERVER__MAX_CONNECTIONS (server.max_connections): must be an integer >= 1 (got 0)',
    ],
    [
      { MYCELIUM_SERVER__MAX_CONNECTIONS: '1.5' },
      'MYCELIUM_SERVER__MAX_CONNECTIONS (server.max_connections): must be an integer >= 1 (got "1.5")',
    ],
    [
      { MYCELIUM_SERVER__MAX_CONNECTIONS: '' },
      'MYCELIUM_SERVER__MAX_CONNECTIONS (server.max_connections): must be an integer >= 1 (got "")',
    ],
    [
      { MYCELIUM_SERVER__PORT: '99999999999999999999' },
      'MYCELIUM_SERVER__PORT (server.port): must be an integer from 0 to 65535 (got "99999999999999999999")',
    ],
    [
      { MYCELIUM_METRICS__ENABLED: 'yes' },
      'MYCELIUM_METRICS__ENABLED (metrics.enabled): must be true or false (got "yes")',
    ],
    [
      { MYCELIUM_SERVER__LOG_LEVEL: 'INFO' },
      'MYCELIUM_SERVER__LOG_LEVEL (server.log_level): must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent" (got "INFO"); did you mean "info"?',
    ],
    [
      { MYCELIUM_SERVER__MAX_CONECTIONS: '5' },
      'MYCELIUM_SERVER__MAX_CONECTIONS: unknown key `max_conections` in [server]; did you mean MYCELIUM_SERVER__MAX_CONNECTIONS?',
    ],
    [
      { MYCELIUM_PERFORMANCE__BATCH: '5' },
      'MYCELIUM_PERFORMANCE__BATCH: unknown key `batch` in [performance] (keys: worker_threads, channel_capacity, batch_size, flush_interval_ms, publisher_stall_ms)',
    ],
    [
      { MYCELIUM_SERVR__PORT: '1' },
      'MYCELIUM_SERVR__PORT: unknown section `servr`; did you mean MYCELIUM_SERVER__PORT?',
    ],
    [
      { MYCELIUM_QUEUE__X: '1' },
      'MYCELIUM_QUEUE__X: unknown section `queue` (sections: server, topics, performance, metrics)',
    ],
    [
      { MYCELIUM_SERVER_PORT: '1' },
      'MYCELIUM_SERVER_PORT: not an override; did you mean MYCELIUM_SERVER__PORT? (section, topic and key are separated by two underscores)',
    ],
    [
      { MYCELIUM_TOPICS__BUFFER_SIZE: '1' },
      'MYCELIUM_TOPICS__BUFFER_SIZE: per-topic variables are named MYCELIUM_TOPICS__<TOPIC>__<KEY>',
    ],
  ];
  for (const [env, expected] of CASES) {
    test(expected, () => {
      assert.deepEqual(envProblems(env), [expected]);
    });
  }

  test('a bad secret value is not echoed', () => {
    const token = 't'.repeat(2000);
    const [problem] = envProblems({ MYCELIUM_SERVER__AUTH_TOKEN: token });
    assert.equal(
      problem,
      'MYCELIUM_SERVER__AUTH_TOKEN (server.auth_token): must be a string of 1 to 1024 bytes (got a string of 2000 bytes)',
    );
  });

  test('env problems and file problems are reported together', () => {
    const problems = envProblems({ MYCELIUM_SERVER__PORT: 'x' }, '[server]\nmax_connections = 0\n');
    assert.deepEqual(problems, [
      'MYCELIUM_SERVER__PORT (server.port): must be an integer from 0 to 65535 (got "x")',
      'server.max_connections: must be an integer >= 1 (got 0)',
    ]);
  });
});

describe('MYCELIUM_TOPICS__<TOPIC>__<KEY> overrides a key of a declared topic', () => {
  const TOPICS =
    '[[topics]]\nname = "market.data"\n[[topics]]\nname = "orders-eu"\n[[topics]]\nname = "a_b"\n';

  // [variable, index of the topic it must reach]
  const MATCHES: [string, number][] = [
    ['MYCELIUM_TOPICS__market.data__BUFFER_SIZE', 0],
    ['MYCELIUM_TOPICS__MARKET_DATA__BUFFER_SIZE', 0],
    ['MYCELIUM_TOPICS__market_data__buffer_size', 0],
    ['MYCELIUM_TOPICS__ORDERS_EU__BUFFER_SIZE', 1],
    ['MYCELIUM_TOPICS__a_b__BUFFER_SIZE', 2],
  ];
  for (const [name, index] of MATCHES) {
    test(`${name} reaches topics[${index}]`, () => {
      const config = parseConfig(TOPICS, { env: { [name]: '77' } });
      assert.deepEqual(
        config.topics.map((t) => t.buffer_size === 77),
        [0, 1, 2].map((i) => i === index),
      );
    });
  }

  test('the seed topics are reached by their upper-case names', async () => {
    const env = { MYCELIUM_TOPICS__EXECUTION__ACK: 'manual', MYCELIUM_TOPICS__EXECUTION__PREFETCH: '8' };
    const loaded = await loadConfig({ file: EXAMPLE_PATH, env });
    assert.deepEqual([loaded.config.topics[2]?.ack, loaded.config.topics[2]?.prefetch], ['manual', 8]);
    assert.deepEqual(loaded.applied, [
      'MYCELIUM_TOPICS__EXECUTION__ACK',
      'MYCELIUM_TOPICS__EXECUTION__PREFETCH',
    ]);
  });

  test('an exact name wins over an upper-case form that would be ambiguous', () => {
    const text = '[[topics]]\nname = "a.b"\n[[topics]]\nname = "a_b"\n';
    const config = parseConfig(text, { env: { MYCELIUM_TOPICS__a_b__BUFFER_SIZE: '5' } });
    assert.deepEqual(
      config.topics.map((t) => t.buffer_size),
      [10000, 5],
    );
  });

  // [env, the exact problem]
  const BAD: [Record<string, string>, string][] = [
    [
      { MYCELIUM_TOPICS__A_B__BUFFER_SIZE: '5' },
      'MYCELIUM_TOPICS__A_B__BUFFER_SIZE: `A_B` matches more than one topic: "a.b" (topics[0]), "a_b" (topics[1]); write the topic name exactly as in the file',
    ],
    [
      { MYCELIUM_TOPICS__NOPE__BUFFER_SIZE: '5' },
      'MYCELIUM_TOPICS__NOPE__BUFFER_SIZE: `NOPE` names no topic in the file (topics: "a.b", "a_b"); env variables can only change declared topics',
    ],
    [
      { MYCELIUM_TOPICS__a_b__BUFER_SIZE: '5' },
      'MYCELIUM_TOPICS__a_b__BUFER_SIZE: unknown topic key `bufer_size`; did you mean MYCELIUM_TOPICS__a_b__BUFFER_SIZE?',
    ],
    [
      { MYCELIUM_TOPICS__a_b__NAME: 'c' },
      "MYCELIUM_TOPICS__a_b__NAME: a topic's name cannot be overridden (env variables address topics by name)",
    ],
    [
      { MYCELIUM_TOPICS__a_b__BUFFER_SIZE: '0' },
      'MYCELIUM_TOPICS__a_b__BUFFER_SIZE (topics[1].buffer_size): must be an integer from 1 to 16777216 (got 0)',
    ],
    [
      { MYCELIUM_TOPICS__a_b__OVERFLOW: 'block' },
      'MYCELIUM_TOPICS__a_b__OVERFLOW (topics[1].overflow): applies to Queue topics only and would do nothing here (this topic is Fanout, the default routing); remove it or set routing = "Queue"',
    ],
  ];
  for (const [env, expected] of BAD) {
    test(expected.slice(0, 90), () => {
      assert.deepEqual(envProblems(env, '[[topics]]\nname = "a.b"\n[[topics]]\nname = "a_b"\n'), [expected]);
    });
  }

  test('a file without topics says so', () => {
    assert.deepEqual(envProblems({ MYCELIUM_TOPICS__X__ACK: 'manual' }, ''), [
      'MYCELIUM_TOPICS__X__ACK: `X` names no topic in the file (the file declares no topics); env variables can only change declared topics',
    ]);
  });
});
