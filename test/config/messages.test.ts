/** How problems read: exact texts for the common cases, and all problems reported together. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../src/config/index.ts';
import { problemStartingWith, problemsOf, topic } from './helpers.ts';

// [TOML, the exact problem it must produce]
const EXACT: [string, string][] = [
  [
    `${topic('')}[[topics]]\nname = "u"\n[[topics]]\nname = "v"\nbuffer_size = 0\n`,
    'topics[2].buffer_size: must be an integer from 1 to 16777216 (got 0)',
  ],
  ['[server]\nmax_connections = 0', 'server.max_connections: must be an integer >= 1 (got 0)'],
  [
    '[server]\nmax_connections = 100.0',
    'server.max_connections: must be an integer >= 1 (got the float 100.0)',
  ],
  ['[server]\nmax_connections = "100"', 'server.max_connections: must be an integer >= 1 (got "100")'],
  ['[server]\nmax_conections = 5', 'server.max_conections: unknown key; did you mean `max_connections`?'],
  ['[server]\nmaxConnections = 5', 'server.maxConnections: unknown key; did you mean `max_connections`?'],
  [topic('bufer_size = 5'), 'topics[0].bufer_size: unknown key; did you mean `buffer_size`?'],
  ['[servre]\nport = 1', 'servre: unknown section; did you mean [server]?'],
  ['[[topic]]\nname = "a"', 'topic: unknown section; did you mean [[topics]]?'],
  [
    '[server]\nbatch_size = 5',
    'server.batch_size: unknown key in [server]; it belongs in [performance] (performance.batch_size)',
  ],
  [
    '[server]\nprefetch = 5',
    'server.prefetch: unknown key in [server]; it is a topic key and belongs in a [[topics]] entry',
  ],
  ['port = 7420', 'port: unknown top-level key; it belongs in [server] (server.port)'],
  [
    topic('routing = "queue"'),
    'topics[0].routing: must be one of "Fanout", "Queue" (got "queue"); did you mean "Queue"?',
  ],
  ['[topics]\nname = "a"', 'topics: must be an array of tables ([[topics]] entries) (got a table)'],
  ['server = 5', 'server: must be a table ([server]) (got 5)'],
  [
    '[[topics]]\nrouting = "Queue"',
    'topics[0].name: is required; must be a topic name: 1 to 128 characters of A-Z a-z 0-9 _ - ., no empty dot-separated part',
  ],
  [
    `${topic('')}[[topics]]\nname = "u"\n${topic('')}`,
    'topics[2].name: duplicate topic name "t" (also topics[0].name)',
  ],
  [
    topic('overflow = "block"'),
    'topics[0].overflow: applies to Queue topics only and would do nothing here (this topic is Fanout, the default routing); remove it or set routing = "Queue"',
  ],
  [
    '[[topics]]\nname = "a..b"',
    'topics[0].name: must not have an empty dot-separated part (no leading, trailing or double dot) (got "a..b")',
  ],
  [
    `[server]\nmax_frame_size = 65536\n${topic('max_message_size = 65536')}`,
    'server.max_frame_size: must be at least 66560 to carry topics[0].max_message_size (65536) plus 1024 bytes of frame overhead (got 65536)',
  ],
  [
    '[metrics]\nport = 7420',
    'metrics.port: must differ from server.port: both would listen on port 7420 (127.0.0.1 and 127.0.0.1)',
  ],
  ['[metrics]\nzzz = 1', 'metrics.zzz: unknown key (allowed: enabled, bind_address, port)'],
  [
    '[server]\n"odd key" = 1',
    'server."odd key": unknown key (allowed: bind_address, port, socket_path, socket_mode, max_connections, connection_timeout_ms, auth_token, heartbeat_interval_ms, heartbeat_max_missed, max_frame_size, max_subscriptions_per_connection, max_pending_bytes, write_deadline_ms, shutdown_grace_ms, log_level)',
  ],
];

describe('problems say what is wrong and what is allowed', () => {
  for (const [toml, expected] of EXACT) {
    test(`says: ${expected.slice(0, 80)}`, () => {
      const problems = problemsOf(toml);
      assert.ok(problems.includes(expected), problems.join('\n'));
    });
  }

  test('a long value is cut short in the message', () => {
    const [problem] = problemsOf(`[server]\nlog_level = "${'v'.repeat(5000)}"`);
    assert.ok(problem !== undefined && problem.length < 300, problem);
    assert.match(problem, /\(5000 characters\)/);
  });

  test('a metrics port on another address than the listener is allowed', () => {
    const config = parseConfig('[metrics]\nport = 7420\nbind_address = "127.0.0.2"');
    assert.equal(config.metrics.port, config.server.port);
  });
});

describe('every problem is reported at once', () => {
  test('five problems in three sections give five problems', () => {
    const problems = problemsOf(
      [
        '[server]',
        'max_connections = 0',
        'log_level = "loud"',
        '[performance]',
        'batch_size = -1',
        '[[topics]]',
        'name = "ok"',
        'bogus = 1',
        '[[topics]]',
        'name = "ok"',
      ].join('\n'),
    );
    assert.equal(problems.length, 5, problems.join('\n'));
    const paths = [
      'server.max_connections',
      'server.log_level',
      'performance.batch_size',
      'topics[0].bogus',
      'topics[1].name',
    ];
    for (const at of paths) problemStartingWith(problems, `${at}: `);
  });

  test('cross-key rules still run when other keys are invalid', () => {
    const problems = problemsOf(`[server]\nport = "x"\n${topic('buffer_size = 0\noverflow = "block"')}`);
    problemStartingWith(problems, 'server.port: ');
    problemStartingWith(problems, 'topics[0].buffer_size: ');
    problemStartingWith(problems, 'topics[0].overflow: ');
  });
});
