/**
 * The H2 table (RELIABILITY.md): new configurations a running server must refuse as a whole, each
 * with the code and a problem line it must report. Used by invalid.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorCode } from '../../src/errors.ts';
import type { ReloadRequest } from '../../src/server/index.ts';
import type { ConfigSpec, FileServer } from './helpers/file-server.ts';

const BASE_TOPICS = [
  { name: 'probe', routing: 'Fanout' },
  { name: 'jobs', routing: 'Queue', ack: 'manual', prefetch: 8 },
] as const;
export const BASE: ConfigSpec = { topics: [...BASE_TOPICS] };

/** BASE with extra keys merged into a section, or an extra topic. */
const server = (keys: ConfigSpec['server']): ConfigSpec => ({ ...BASE, server: keys });
const performance = (keys: ConfigSpec['performance']): ConfigSpec => ({ ...BASE, performance: keys });
const topics = (...extra: NonNullable<ConfigSpec['topics']>): ConfigSpec => ({
  topics: [...BASE_TOPICS, ...extra],
});

export interface Row {
  readonly rule: string;
  /** What to put at the config path: a spec, raw text or bytes; or a setup that returns the request. */
  readonly content?: ConfigSpec | string | Buffer;
  readonly setup?: (h: FileServer) => Promise<ReloadRequest | undefined>;
  readonly teardown?: (h: FileServer) => Promise<void>;
  readonly code: ErrorCode;
  /** Every problem reported must be matched by one of these, and each of these by a problem. */
  readonly problem: RegExp;
  readonly skip?: string | false;
}

const isRoot = process.getuid?.() === 0;

export const ROWS: readonly Row[] = [
  // TOML syntax and encoding.
  {
    rule: 'an unclosed table header',
    content: '[server\nport = 0\n',
    code: 'CONFIG_PARSE',
    problem: /broker\.toml:1:/,
  },
  {
    rule: 'a value missing after =',
    content: '[server]\nmax_connections =\n',
    code: 'CONFIG_PARSE',
    problem: /broker\.toml:2:/,
  },
  {
    rule: 'an unterminated string',
    content: '[server]\nlog_level = "info\n',
    code: 'CONFIG_PARSE',
    problem: /broker\.toml:2:/,
  },
  {
    rule: 'a key given twice',
    content: '[server]\nport = 0\nport = 0\n',
    code: 'CONFIG_PARSE',
    problem: /broker\.toml:3:/,
  },
  {
    rule: 'bytes that are not UTF-8',
    content: Buffer.from([0x5b, 0xff, 0x5d]),
    code: 'CONFIG_PARSE',
    problem: /not valid UTF-8/,
  },
  // Wrong types and values out of range.
  {
    rule: 'a string for an integer',
    content: server({ max_connections: 'many' }),
    code: 'CONFIG_INVALID',
    problem: /^server\.max_connections:/,
  },
  {
    rule: 'a float for an integer',
    content: '[server]\nmax_connections = 10.0\n',
    code: 'CONFIG_INVALID',
    problem: /^server\.max_connections:/,
  },
  {
    rule: 'a number for a routing',
    content: topics({ name: 'x', routing: 5 }),
    code: 'CONFIG_INVALID',
    problem: /^topics\[2\]\.routing:/,
  },
  {
    rule: 'an unknown log level',
    content: server({ log_level: 'verbose' }),
    code: 'CONFIG_INVALID',
    problem: /^server\.log_level:/,
  },
  {
    rule: 'max_connections 0',
    content: server({ max_connections: 0 }),
    code: 'CONFIG_INVALID',
    problem: /^server\.max_connections:/,
  },
  {
    rule: 'heartbeat_interval_ms below 100',
    content: server({ heartbeat_interval_ms: 99 }),
    code: 'CONFIG_INVALID',
    problem: /^server\.heartbeat_interval_ms:/,
  },
  {
    rule: 'batch_size 0',
    content: performance({ batch_size: 0 }),
    code: 'CONFIG_INVALID',
    problem: /^performance\.batch_size:/,
  },
  {
    rule: 'a topic buffer_size of 0',
    content: topics({ name: 'x', buffer_size: 0 }),
    code: 'CONFIG_INVALID',
    problem: /^topics\[2\]\.buffer_size:/,
  },
  {
    rule: 'an empty auth_token',
    content: server({ auth_token: '' }),
    code: 'CONFIG_INVALID',
    problem: /^server\.auth_token:/,
  },
  // Unknown keys and rules that span keys.
  {
    rule: 'an unknown server key',
    content: server({ max_conections: 5 }),
    code: 'CONFIG_INVALID',
    problem: /max_conections: unknown key/,
  },
  {
    rule: 'an unknown section',
    content: '[cluster]\nnodes = 3\n',
    code: 'CONFIG_INVALID',
    problem: /cluster/,
  },
  {
    rule: 'an unknown topic key',
    content: topics({ name: 'x', colour: 'red' }),
    code: 'CONFIG_INVALID',
    problem: /^topics\[2\]\.colour:/,
  },
  {
    rule: 'duplicate topic names',
    content: topics({ name: 'probe' }),
    code: 'CONFIG_INVALID',
    problem: /duplicate topic name "probe"/,
  },
  {
    rule: 'a topic name with an empty part',
    content: topics({ name: 'a..b' }),
    code: 'CONFIG_INVALID',
    problem: /^topics\[2\]\.name:/,
  },
  {
    rule: 'a wildcard topic name',
    content: topics({ name: 'a.*' }),
    code: 'CONFIG_INVALID',
    problem: /^topics\[2\]\.name:.*reserved/,
  },
  {
    rule: 'overflow on a Fanout topic',
    content: topics({ name: 'x', overflow: 'block' }),
    code: 'CONFIG_INVALID',
    problem: /^topics\[2\]\.overflow:/,
  },
  {
    rule: 'prefetch without manual acks',
    content: topics({ name: 'q', routing: 'Queue', prefetch: 4 }),
    code: 'CONFIG_INVALID',
    problem: /^topics\[2\]\.prefetch:/,
  },
  {
    rule: 'a max_message_size the frame size cannot carry',
    content: topics({ name: 'x', max_message_size: 8 * 1024 * 1024 }),
    code: 'CONFIG_INVALID',
    problem: /max_frame_size/,
  },
  // Valid files with changes that need a restart.
  {
    rule: 'a changed socket_path',
    content: { ...BASE, server: { socket_path: '/tmp/elsewhere.sock' } },
    code: 'CONFIG_NOT_RELOADABLE',
    problem: /^server\.socket_path: cannot change without a restart/,
  },
  {
    rule: 'a changed port',
    content: server({ port: 7421 }),
    code: 'CONFIG_NOT_RELOADABLE',
    problem: /^server\.port: cannot change without a restart \(0 -> 7421\)/,
  },
  {
    rule: 'a changed bind_address',
    content: server({ bind_address: '::1' }),
    code: 'CONFIG_NOT_RELOADABLE',
    problem: /^server\.bind_address:/,
  },
  {
    rule: 'a changed socket_mode',
    content: server({ socket_mode: '0660' }),
    code: 'CONFIG_NOT_RELOADABLE',
    problem: /^server\.socket_mode:/,
  },
  {
    rule: 'a changed max_frame_size',
    content: server({ max_frame_size: 4 * 1024 * 1024 }),
    code: 'CONFIG_NOT_RELOADABLE',
    problem: /^server\.max_frame_size:/,
  },
  {
    rule: 'a changed worker_threads',
    content: performance({ worker_threads: 2 }),
    code: 'CONFIG_NOT_RELOADABLE',
    problem: /^performance\.worker_threads:/,
  },
  {
    rule: 'a changed metrics port',
    content: { ...BASE, metrics: { port: 9999 } },
    code: 'CONFIG_NOT_RELOADABLE',
    problem: /^metrics\.port:/,
  },
  {
    rule: 'metrics switched on',
    content: { ...BASE, metrics: { enabled: true, port: 0 } },
    code: 'CONFIG_NOT_RELOADABLE',
    problem: /^metrics\.(enabled|port):/,
  },
  {
    rule: 'a routing change of a live topic',
    content: { topics: [{ name: 'probe', routing: 'Queue' }, BASE_TOPICS[1]] },
    code: 'CONFIG_NOT_RELOADABLE',
    problem: /^topic "probe" routing: cannot change without a restart/,
  },
  {
    rule: 'a reloadable change next to one that is not (all or nothing: neither applies)',
    content: { ...topics({ name: 'extra' }), server: { max_connections: 5, port: 7421 } },
    code: 'CONFIG_NOT_RELOADABLE',
    problem: /^server\.port:/,
  },
  {
    rule: 'a new topic whose name the broker already has with another routing (created at run time)',
    content: topics({ name: 'runtime', routing: 'Fanout' }),
    setup: async (h) => {
      h.server.broker.createTopic('runtime', { routing: 'Queue' });
      return undefined;
    },
    teardown: async (h) => {
      h.server.broker.deleteTopic('runtime');
    },
    code: 'CONFIG_NOT_RELOADABLE',
    problem: /^topic "runtime": already exists on the broker as Queue/,
  },
  // Files that cannot be read.
  {
    rule: 'a missing file',
    setup: async (h) => {
      await unlink(h.file);
      return undefined;
    },
    code: 'CONFIG_READ',
    problem: /no such file \(ENOENT\)/,
  },
  {
    rule: 'a directory instead of a file',
    setup: async (h) => {
      await rm(h.file, { force: true });
      await mkdir(h.file);
      return undefined;
    },
    teardown: (h) => rm(h.file, { recursive: true }),
    code: 'CONFIG_READ',
    problem: /is a directory/,
  },
  {
    rule: 'a FIFO instead of a regular file',
    setup: async (h) => {
      await rm(h.file, { force: true });
      execFileSync('mkfifo', [h.file]);
      return undefined;
    },
    teardown: (h) => rm(h.file, { force: true }),
    code: 'CONFIG_READ',
    problem: /is not a regular file/,
  },
  {
    rule: 'a symbolic link loop',
    setup: async (h) => {
      await rm(h.file, { force: true });
      await symlink(h.file, h.file);
      return undefined;
    },
    teardown: (h) => rm(h.file, { force: true }),
    code: 'CONFIG_READ',
    problem: /ELOOP/,
  },
  {
    rule: 'a path through a regular file',
    setup: async (h) => ({ file: join(h.file, 'broker.toml') }),
    code: 'CONFIG_READ',
    problem: /ENOTDIR/,
  },
  {
    rule: 'an unreadable file (mode 000)',
    content: server({ max_connections: 3 }),
    setup: async (h) => {
      await chmod(h.file, 0o000);
      return undefined;
    },
    code: 'CONFIG_READ',
    problem: /permission denied/,
    skip:
      isRoot &&
      'root reads a file of any mode; test/reliability/reload-faults.test.ts runs this case with the broker as another user',
  },
];
