import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  BUILTIN_SOURCE,
  CONFIG_KEYS,
  configToToml,
  defaultConfig,
  loadConfig,
  MAX_CONFIG_FILE_BYTES,
  parseConfig,
  secretsSet,
  validateConfig,
} from '../../src/config/index.ts';
import { configError, configErrorAsync, EXAMPLE_PATH, EXAMPLE_TEXT } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'mycelium-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('the seed example', () => {
  test('loads unchanged with the values the seed gives', async () => {
    const { config, source, file: path, applied } = await loadConfig({ file: EXAMPLE_PATH, env: {} });
    assert.equal(source, EXAMPLE_PATH);
    assert.equal(path, EXAMPLE_PATH);
    assert.deepEqual(applied, []);
    assert.equal(config.server.bind_address, '127.0.0.1');
    assert.equal(config.server.socket_path, '/tmp/mycelium.sock');
    assert.equal(config.server.max_connections, 1000);
    assert.equal(config.server.connection_timeout_ms, 30000);
    assert.deepEqual(
      config.topics.map((t) => [t.name, t.routing, t.buffer_size, t.max_message_size]),
      [
        ['market_data', 'Fanout', 1000000, 65536],
        ['signals', 'Fanout', 100000, 32768],
        ['execution', 'Queue', 50000, 16384],
      ],
    );
    assert.deepEqual(config.performance, {
      worker_threads: 8,
      channel_capacity: 100000,
      batch_size: 1000,
      flush_interval_ms: 1,
      publisher_stall_ms: 5,
    });
  });

  test('keys the seed leaves out take their defaults', () => {
    const config = parseConfig(EXAMPLE_TEXT);
    assert.equal(config.server.port, 7420);
    assert.equal(config.server.socket_mode, '0600');
    assert.equal(config.server.auth_token, undefined);
    assert.deepEqual(config.metrics, { enabled: true, bind_address: '127.0.0.1', port: 9464 });
    const execution = config.topics[2];
    assert.deepEqual(
      [
        execution?.overflow,
        execution?.ack,
        execution?.prefetch,
        execution?.delivery_limit,
        execution?.slow_consumer,
      ],
      ['reject', 'none', 64, 20, 'drop_oldest'],
    );
  });

  test('a loaded configuration is frozen at every level', () => {
    const config = parseConfig(EXAMPLE_TEXT);
    for (const part of [
      config,
      config.server,
      config.topics,
      config.topics[0],
      config.performance,
      config.metrics,
    ]) {
      assert.ok(Object.isFrozen(part));
    }
  });

  test('printed as TOML it loads again to the same configuration', () => {
    const config = parseConfig(EXAMPLE_TEXT);
    assert.deepEqual(parseConfig(configToToml(config)), config);
  });
});

describe('the built-in defaults', () => {
  test('apply when there is no file argument and no MYCELIUM_CONFIG', async () => {
    const loaded = await loadConfig({ env: {} });
    assert.equal(loaded.source, BUILTIN_SOURCE);
    assert.equal(loaded.file, undefined);
    assert.deepEqual(loaded.config, defaultConfig());
    assert.deepEqual(
      loaded.config.topics.map((t) => [t.name, t.routing]),
      [
        ['events', 'Fanout'],
        ['jobs', 'Queue'],
        ['bench', 'Fanout'],
        ['bench.queue', 'Queue'],
      ],
    );
  });

  test('give every key the default the key catalog lists', () => {
    const config = defaultConfig() as unknown as Record<string, Record<string, unknown>>;
    for (const key of CONFIG_KEYS.filter((k) => k.section !== 'topics')) {
      assert.equal(config[key.section]?.[key.key], key.default, key.path);
    }
  });

  test('an empty MYCELIUM_CONFIG counts as unset', async () => {
    assert.equal((await loadConfig({ env: { MYCELIUM_CONFIG: '' } })).source, BUILTIN_SOURCE);
  });

  test('an empty file has every key at its default and no topics: the starter topics are not inherited', () => {
    assert.deepEqual(parseConfig(''), { ...defaultConfig(), topics: [] });
  });
});

describe('choosing the file', () => {
  const named = file('named.toml', '[server]\nmax_connections = 5\n');
  const given = file('given.toml', '[server]\nmax_connections = 6\n');

  test('MYCELIUM_CONFIG names the file when no file argument is given', async () => {
    const loaded = await loadConfig({ env: { MYCELIUM_CONFIG: named } });
    assert.equal(loaded.source, named);
    assert.equal(loaded.config.server.max_connections, 5);
    assert.deepEqual(loaded.applied, []);
  });

  test('a file argument wins over MYCELIUM_CONFIG', async () => {
    const loaded = await loadConfig({ file: given, env: { MYCELIUM_CONFIG: named } });
    assert.equal(loaded.config.server.max_connections, 6);
  });
});

describe('unreadable files are CONFIG_READ', () => {
  test('a missing file', async () => {
    const error = await configErrorAsync(
      loadConfig({ file: join(dir, 'missing.toml'), env: {} }),
      'CONFIG_READ',
    );
    assert.match(
      error.problems[0] ?? '',
      /missing\.toml: cannot read the configuration file: no such file \(ENOENT\)/,
    );
  });

  test('a missing file named by MYCELIUM_CONFIG says so', async () => {
    const error = await configErrorAsync(
      loadConfig({ env: { MYCELIUM_CONFIG: join(dir, 'gone.toml') } }),
      'CONFIG_READ',
    );
    assert.match(error.problems[0] ?? '', /gone\.toml \(named by MYCELIUM_CONFIG\): .*ENOENT/);
  });

  test('a directory', async () => {
    const error = await configErrorAsync(loadConfig({ file: dir, env: {} }), 'CONFIG_READ');
    assert.match(error.problems[0] ?? '', /is a directory, not a configuration file/);
  });

  test('a device instead of a regular file', async () => {
    const error = await configErrorAsync(loadConfig({ file: '/dev/null', env: {} }), 'CONFIG_READ');
    assert.match(error.problems[0] ?? '', /is not a regular file/);
  });

  test('a file over the size limit', async () => {
    const path = file('huge.toml', '');
    truncateSync(path, MAX_CONFIG_FILE_BYTES + 1);
    const error = await configErrorAsync(loadConfig({ file: path, env: {} }), 'CONFIG_READ');
    assert.match(error.problems[0] ?? '', new RegExp(`at most ${MAX_CONFIG_FILE_BYTES} bytes`));
  });
});

describe('syntax errors are CONFIG_PARSE with line and column', () => {
  // [what is wrong, text, expected location]
  const CASES: [string, string, string][] = [
    ['a value is missing', '[server]\nport = = 1\n', '2:8'],
    ['a string is not closed', '[server]\nsocket_path = "/tmp/x\n', '2:22'],
    ['a key is defined twice', '[server]\nport = 1\nport = 2\n', '3:1'],
    ['a table header is not closed', '[server\nport = 1\n', '1:8'],
    ['a key has no value', '[server]\nport\n', '2:5'],
  ];
  for (const [what, text, at] of CASES) {
    test(`${what} (${at})`, () => {
      const error = configError(() => parseConfig(text, { source: 'broker.toml' }), 'CONFIG_PARSE');
      assert.equal(error.problems.length, 1);
      assert.ok(error.problems[0]?.startsWith(`broker.toml:${at}: `), error.problems[0]);
    });
  }

  test('without a source the location reads as words', () => {
    const error = configError(() => parseConfig('[server]\nport = = 1\n'), 'CONFIG_PARSE');
    assert.ok(error.problems[0]?.startsWith('line 2, column 8: '), error.problems[0]);
  });

  test('bytes that are not UTF-8 are located too', async () => {
    const path = file('latin1.toml', Buffer.from('[server]\nsocket_path = "/tmp/caf\xe9"\n', 'latin1'));
    const error = await configErrorAsync(loadConfig({ file: path, env: {} }), 'CONFIG_PARSE');
    assert.equal(error.problems[0], `${path}:2:24: not valid UTF-8 (a TOML file must be UTF-8 text)`);
  });
});

describe('validateConfig', () => {
  test('fills defaults into an object shaped like the TOML', () => {
    const config = validateConfig({
      topics: [{ name: 'orders', routing: 'Queue', ack: 'manual', prefetch: 10 }],
    });
    assert.equal(config.topics[0]?.prefetch, 10);
    assert.equal(config.server.port, 7420);
  });

  test('refuses what a file would be refused for', () => {
    const error = configError(
      () => validateConfig({ topics: [{ name: 'a' }, { name: 'a' }] }),
      'CONFIG_INVALID',
    );
    assert.deepEqual(error.problems, ['topics[1].name: duplicate topic name "a" (also topics[0].name)']);
  });

  test('refuses a value that is not a table', () => {
    const error = configError(() => validateConfig(42), 'CONFIG_INVALID');
    assert.deepEqual(error.problems, ['configuration: must be a table of sections (got 42)']);
  });
});

describe('secrets', () => {
  test('the printed TOML leaves auth_token out and secretsSet names it', () => {
    const config = parseConfig('[server]\nauth_token = "s3cret-token"\n');
    assert.equal(config.server.auth_token, 's3cret-token');
    assert.ok(!configToToml(config).includes('s3cret-token'));
    assert.deepEqual(secretsSet(config), ['server.auth_token']);
  });

  test('a bad auth_token is described without its value', () => {
    const token = `x${'y'.repeat(1024)}`;
    const error = configError(() => parseConfig(`[server]\nauth_token = "${token}"\n`), 'CONFIG_INVALID');
    assert.equal(
      error.problems[0],
      'server.auth_token: must be a string of 1 to 1024 bytes (got a string of 1025 bytes)',
    );
  });
});
