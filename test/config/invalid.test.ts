/**
 * Invalid configurations, as a table: each row is the key path its problem must start with, the
 * rule it breaks, and the TOML text. All raise CONFIG_INVALID; syntax errors (CONFIG_PARSE, located
 * by line and column) have their own table.
 */
import { describe, test } from 'node:test';
import { parseConfig } from '../../src/config/index.ts';
import { configError, problemStartingWith, queue, topic } from './helpers.ts';

// [key path, rule broken, TOML]
const INVALID: [string, string, string][] = [
  ['server.max_connections', 'max_connections must be at least 1', '[server]\nmax_connections = 0'],
  ['server.max_connections', 'max_connections must not be negative', '[server]\nmax_connections = -5'],
  ['server.max_connections', 'max_connections must be an integer', '[server]\nmax_connections = 1.5'],
  [
    'server.max_connections',
    'an integer key refuses a float even when it is whole',
    '[server]\nmax_connections = 100.0',
  ],
  ['server.max_connections', 'an integer key refuses a string', '[server]\nmax_connections = "100"'],
  [
    'server.max_connections',
    'an integer beyond 2^53 is refused',
    '[server]\nmax_connections = 99999999999999999999',
  ],
  ['server.port', 'port must be at most 65535', '[server]\nport = 65536'],
  ['server.port', 'port must not be negative', '[server]\nport = -1'],
  ['server.port', 'port must not be a date', '[server]\nport = 1979-05-27'],
  [
    'server.socket_path',
    'socket_path must fit the 107-byte socket address',
    `[server]\nsocket_path = "/tmp/${'a'.repeat(103)}"`,
  ],
  ['server.socket_path', 'socket_path must not be empty', '[server]\nsocket_path = ""'],
  ['server.socket_mode', 'socket_mode must be octal digits', '[server]\nsocket_mode = "rw-------"'],
  ['server.socket_mode', 'socket_mode digits must be 0-7', '[server]\nsocket_mode = "0800"'],
  ['server.socket_mode', 'socket_mode must be a string, not a number', '[server]\nsocket_mode = 600'],
  [
    'server.bind_address',
    'bind_address must be an address or host name',
    '[server]\nbind_address = "local host"',
  ],
  [
    'server.heartbeat_interval_ms',
    'heartbeat_interval_ms must be at least 100',
    '[server]\nheartbeat_interval_ms = 99',
  ],
  [
    'server.connection_timeout_ms',
    'timeouts must fit a Node timer',
    '[server]\nconnection_timeout_ms = 2147483648',
  ],
  [
    'server.max_frame_size',
    'max_frame_size must not exceed 64 MiB + 1 KiB',
    '[server]\nmax_frame_size = 67109889',
  ],
  [
    'server.max_pending_bytes',
    'max_pending_bytes must be at least 1024',
    '[server]\nmax_pending_bytes = 1023',
  ],
  ['server.log_level', 'log_level must be a known level', '[server]\nlog_level = "verbose"'],
  ['server.auth_token', 'auth_token must not be empty', '[server]\nauth_token = ""'],
  ['server.max_conections', 'unknown server keys are refused', '[server]\nmax_conections = 5'],
  ['servr', 'unknown sections are refused', '[servr]\nport = 1'],
  ['port', 'keys outside a section are refused', 'port = 7420'],
  ['server', 'a section must be a table', 'server = 5'],
  ['topics', 'topics must be an array of tables', '[topics]\nname = "a"'],
  ['topics[0]', 'a topic entry must be a table', 'topics = [1]'],
  ['topics[0].buffer_size', 'buffer_size must be at least 1', topic('buffer_size = 0')],
  [
    'topics[2].buffer_size',
    'problems name the topic by its index in the file',
    `${topic('')}[[topics]]\nname = "u"\n[[topics]]\nname = "v"\nbuffer_size = 0\n`,
  ],
  ['topics[0].buffer_size', 'buffer_size must be at most 16777216', topic('buffer_size = 16777217')],
  [
    'topics[0].max_message_size',
    'max_message_size must not exceed the 64 MiB hard limit',
    `[server]\nmax_frame_size = 67109888\n${topic('max_message_size = 67108865')}`,
  ],
  ['topics[0].name', 'a topic needs a name', '[[topics]]\nrouting = "Fanout"'],
  ['topics[0].name', 'a topic name must not be empty', '[[topics]]\nname = ""'],
  ['topics[0].name', 'a topic name has no empty dot-separated part', '[[topics]]\nname = "a..b"'],
  ['topics[0].name', 'wildcard characters are reserved', '[[topics]]\nname = "market.*"'],
  ['topics[0].name', 'a topic name has no spaces', '[[topics]]\nname = "has space"'],
  ['topics[0].name', 'a topic name is at most 128 characters', `[[topics]]\nname = "${'n'.repeat(129)}"`],
  ['topics[2].name', 'topic names are unique', `${topic('')}[[topics]]\nname = "u"\n${topic('')}`],
  ['topics[0].routing', 'routing is Fanout or Queue, case included', topic('routing = "fanout"')],
  [
    'topics[0].overflow',
    'overflow does nothing on a Fanout topic',
    topic('routing = "Fanout"\noverflow = "block"'),
  ],
  ['topics[0].ack', 'ack does nothing on a topic that defaults to Fanout', topic('ack = "manual"')],
  ['topics[0].prefetch', 'prefetch does nothing on a Fanout topic', topic('prefetch = 10')],
  [
    'topics[0].slow_consumer',
    'slow_consumer does nothing on a Queue topic',
    queue('slow_consumer = "disconnect"'),
  ],
  ['topics[0].prefetch', 'prefetch needs ack = "manual"', queue('prefetch = 10')],
  ['topics[0].prefetch', 'prefetch must be at least 1', queue('ack = "manual"\nprefetch = 0')],
  ['topics[0].delivery_limit', 'delivery_limit does nothing on a Fanout topic', topic('delivery_limit = 5')],
  ['topics[0].delivery_limit', 'delivery_limit needs ack = "manual"', queue('delivery_limit = 5')],
  [
    'topics[0].delivery_limit',
    'delivery_limit must be at least 1 (0 is not "no limit")',
    queue('ack = "manual"\ndelivery_limit = 0'),
  ],
  [
    'topics[0].delivery_limit',
    'delivery_limit must fit the u16 delivery count (at most 65535)',
    queue('ack = "manual"\ndelivery_limit = 65536'),
  ],
  ['topics[0].overflow', 'overflow must be a known policy', queue('overflow = "drop"')],
  ['topics[0].bufer_size', 'unknown topic keys are refused', topic('bufer_size = 5')],
  [
    'server.max_frame_size',
    'max_frame_size must carry the largest message plus 1024',
    `[server]\nmax_frame_size = 65536\n${topic('max_message_size = 65536')}`,
  ],
  ['performance.worker_threads', 'worker_threads must be at least 1', '[performance]\nworker_threads = 0'],
  ['performance.worker_threads', 'worker_threads must be at most 64', '[performance]\nworker_threads = 65'],
  ['performance.batch_size', 'batch_size must be at least 1', '[performance]\nbatch_size = 0'],
  [
    'performance.flush_interval_ms',
    'flush_interval_ms must not be negative',
    '[performance]\nflush_interval_ms = -1',
  ],
  ['metrics.enabled', 'metrics.enabled must be a boolean', '[metrics]\nenabled = "yes"'],
  ['metrics.port', 'metrics must not share the broker port', '[metrics]\nport = 7420'],
];

// [location, rule broken, TOML]
const SYNTAX: [string, string, string][] = [
  ['line 2, column 8', 'a value must follow "="', '[server]\nport = = 1'],
  ['line 3, column 1', 'a key may be defined once', '[server]\nport = 1\nport = 2'],
  ['line 2, column 2', 'a table may be defined once', '[server]\n[server]'],
];

describe('invalid configurations are refused with the key path named (CONFIG_INVALID)', () => {
  for (const [at, rule, toml] of INVALID) {
    test(`${rule} (${at})`, () => {
      const error = configError(() => parseConfig(toml), 'CONFIG_INVALID');
      problemStartingWith(error.problems, `${at}: `);
    });
  }
});

describe('syntax errors are refused with their location (CONFIG_PARSE)', () => {
  for (const [at, rule, toml] of SYNTAX) {
    test(`${rule} (${at})`, () => {
      const error = configError(() => parseConfig(toml), 'CONFIG_PARSE');
      problemStartingWith(error.problems, `${at}: `);
    });
  }
});
