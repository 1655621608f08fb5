/** Flag overrides (`--set key=value`) and the precedence defaults < file < env < flags. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ConfigOverride, loadConfig, parseConfig, parseSetFlag } from '../../src/config/index.ts';
import { EXAMPLE_PATH, EXAMPLE_TEXT, problemsOf } from './helpers.ts';

describe('precedence: defaults < file < env < flags', () => {
  test('each layer overrides the one before it', async () => {
    const file = await loadConfig({ file: EXAMPLE_PATH, env: {} });
    assert.equal(file.config.server.max_connections, 1000);
    assert.equal(file.config.server.port, 7420);

    const env = { MYCELIUM_SERVER__MAX_CONNECTIONS: '50', MYCELIUM_SERVER__PORT: '0' };
    const withEnv = await loadConfig({ file: EXAMPLE_PATH, env });
    assert.equal(withEnv.config.server.max_connections, 50);

    const overrides = [parseSetFlag('server.max_connections=7')];
    const withFlags = await loadConfig({ file: EXAMPLE_PATH, env, overrides });
    assert.equal(withFlags.config.server.max_connections, 7);
    assert.equal(withFlags.config.server.port, 0);
    assert.deepEqual(withFlags.applied, [
      'MYCELIUM_SERVER__MAX_CONNECTIONS',
      'MYCELIUM_SERVER__PORT',
      '--set server.max_connections',
    ]);
  });

  test('a valid flag does not rescue an invalid env value: both are validated', () => {
    const problems = problemsOf(EXAMPLE_TEXT, {
      env: { MYCELIUM_SERVER__MAX_CONNECTIONS: 'abc' },
      overrides: [parseSetFlag('server.max_connections=7')],
    });
    assert.deepEqual(problems, [
      'MYCELIUM_SERVER__MAX_CONNECTIONS (server.max_connections): must be an integer >= 1 (got "abc")',
    ]);
  });

  test('a later flag wins over an earlier one', () => {
    const overrides = [parseSetFlag('performance.batch_size=10'), parseSetFlag('performance.batch_size=20')];
    assert.equal(parseConfig(EXAMPLE_TEXT, { overrides }).performance.batch_size, 20);
  });
});

describe('flag overrides', () => {
  test('typed values are used as given', () => {
    const overrides: ConfigOverride[] = [
      { key: 'server.port', value: 0, source: '--port' },
      { key: 'metrics.enabled', value: false, source: '--no-metrics' },
    ];
    const config = parseConfig(EXAMPLE_TEXT, { overrides });
    assert.deepEqual([config.server.port, config.metrics.enabled], [0, false]);
  });

  test('a topic key is addressed by the exact name, dots included', () => {
    const text = '[[topics]]\nname = "market.data.eu"\n';
    const config = parseConfig(text, { overrides: [parseSetFlag('topics.market.data.eu.buffer_size=5')] });
    assert.equal(config.topics[0]?.buffer_size, 5);
  });

  // [override, the exact problem]
  const BAD: [ConfigOverride, string][] = [
    [
      parseSetFlag('server.prot=1'),
      '--set server.prot: unknown key `server.prot`; did you mean `server.port`?',
    ],
    [parseSetFlag('server=1'), '--set server: unknown key `server` (expected <section>.<key>)'],
    [
      parseSetFlag('server.port=x'),
      '--set server.port (server.port): must be an integer from 0 to 65535 (got "x")',
    ],
    [
      { key: 'server.port', value: 70000, source: '--port' },
      '--port (server.port): must be an integer from 0 to 65535 (got 70000)',
    ],
    [
      parseSetFlag('topics.signals.buffer_size=0'),
      '--set topics.signals.buffer_size (topics[1].buffer_size): must be an integer from 1 to 16777216 (got 0)',
    ],
    [
      parseSetFlag('topics.nope.buffer_size=5'),
      '--set topics.nope.buffer_size: no topic named "nope" in the file (topics: "market_data", "signals", "execution")',
    ],
    [
      parseSetFlag('topics.signals.bufer_size=5'),
      '--set topics.signals.bufer_size: unknown key `topics.signals.bufer_size`; did you mean `topics.signals.buffer_size`?',
    ],
    [
      parseSetFlag('topics.signals.name=x'),
      "--set topics.signals.name: a topic's name cannot be overridden (overrides address topics by name)",
    ],
    [parseSetFlag('topics.x=1'), '--set topics.x: per-topic keys are written topics.<topic name>.<key>'],
  ];
  for (const [override, expected] of BAD) {
    test(expected.slice(0, 90), () => {
      assert.deepEqual(problemsOf(EXAMPLE_TEXT, { overrides: [override] }), [expected]);
    });
  }
});

describe('parseSetFlag', () => {
  test('splits at the first "=" and keeps the rest as the value', () => {
    assert.deepEqual(parseSetFlag('server.auth_token=a=b'), {
      key: 'server.auth_token',
      value: 'a=b',
      source: '--set server.auth_token',
    });
  });

  for (const bad of ['server.port', '=1', ' =1', '']) {
    test(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseSetFlag(bad), TypeError);
    });
  }

  test('the source never carries the value, so a secret set by flag is not echoed', () => {
    assert.equal(parseSetFlag('server.auth_token=hunter2').source, '--set server.auth_token');
  });
});
