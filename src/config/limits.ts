/**
 * Every configuration default and hard limit, in one place. The schema, the docs
 * (docs/config.md) and the tests all read these; change a value here and nowhere else.
 *
 * The limits the broker and protocol layers share (topic names, message sizes, buffer bounds)
 * live in `src/limits.ts` and are re-exported here, so every layer enforces the same numbers.
 */
import { MAX_MESSAGE_SIZE_LIMIT } from '../limits.ts';

export {
  DEFAULT_BUFFER_SIZE,
  DEFAULT_DELIVERY_LIMIT,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_PREFETCH,
  MAX_BUFFER_SIZE,
  MAX_DELIVERY_LIMIT,
  MAX_MESSAGE_SIZE_LIMIT,
  MAX_PREFETCH,
  MAX_TOPIC_NAME_LENGTH,
} from '../limits.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

// ---------------------------------------------------------------------------------------------
// Shared bounds

/** Largest TCP port number; 0 asks the OS for an ephemeral port (tests use it). */
export const MAX_PORT = 65_535;
/** Node's timers take at most 2^31-1 ms; a longer delay fires at once, so longer values are refused. */
export const MAX_TIMER_MS = 2_147_483_647;

// ---------------------------------------------------------------------------------------------
// [server]

/** Loopback, so a broker started with defaults is not reachable from other hosts. */
export const DEFAULT_BIND_ADDRESS = '127.0.0.1';
/** An unassigned port in the IANA registered range, easy to remember. */
export const DEFAULT_PORT = 7420;
/** Where a local client looks first; /tmp exists and is writable on every Unix. */
export const DEFAULT_SOCKET_PATH = '/tmp/mycelium.sock';
/** sockaddr_un.sun_path is 108 bytes on Linux, one of which is the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;
/** Owner-only: other local users must not be able to connect to the socket by default. */
export const DEFAULT_SOCKET_MODE = '0600';
/** Enough for a host's services, small enough that a connection storm cannot exhaust fds. */
export const DEFAULT_MAX_CONNECTIONS = 1000;
/** A client has this long to complete HELLO before it is dropped (slowloris guard). */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;
/** How often the server PINGs an idle peer: frequent enough to notice a dead peer within ~30 s. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;
/** Below this, heartbeats become a measurable share of the traffic on idle connections. */
export const MIN_HEARTBEAT_INTERVAL_MS = 100;
/** Two unanswered PINGs: one lost to a pause (GC, suspend) is forgiven, two are not. */
export const DEFAULT_HEARTBEAT_MAX_MISSED = 2;
/** Bytes a frame carries besides its payload (length, op, ids, topic name), rounded up generously. */
export const FRAME_OVERHEAD_BYTES = 1 * KiB;
/** Hard cap on a frame: the largest payload plus its overhead. */
export const MAX_FRAME_SIZE_LIMIT = MAX_MESSAGE_SIZE_LIMIT + FRAME_OVERHEAD_BYTES;
/** Smallest frame limit: a HELLO with a 1 KiB token and a 256-byte client name must still fit. */
export const MIN_FRAME_SIZE = 4 * KiB;
/** Eight times the default max_message_size, so default topics never hit the frame limit. */
export const DEFAULT_MAX_FRAME_SIZE = 8 * MiB;
/** Generous for real clients; bounds the per-connection subscription table. */
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 1024;
/** Outbound bytes queued per connection before it is closed as SLOW_CONSUMER. */
export const DEFAULT_MAX_PENDING_BYTES = 64 * MiB;
/** Below one small frame, every connection would be closed at its first delivery. */
export const MIN_MAX_PENDING_BYTES = 1 * KiB;
/** A socket that accepts no bytes for this long while output waits is presumed stuck. */
export const DEFAULT_WRITE_DEADLINE_MS = 10_000;
/** How long shutdown waits for queue acks before closing anyway. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** The HELLO frame carries at most 1024 token bytes (docs/protocol.md), so a longer one could never match. */
export const MAX_AUTH_TOKEN_BYTES = 1024;
/** pino's levels; "silent" turns logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Start-up, reload and connection-level events, without per-message noise. */
export const DEFAULT_LOG_LEVEL = 'info';

// ---------------------------------------------------------------------------------------------
// [[topics]]

/**
 * Smallest delivery_limit: every message gets at least its first delivery. 0 would mean "drop
 * on first return" for some readers and "no limit" for others, so it is refused rather than guessed.
 */
export const MIN_DELIVERY_LIMIT = 1;

// ---------------------------------------------------------------------------------------------
// [performance]

/** Routing runs on the main thread; extra workers are validated but not used yet. */
export const DEFAULT_WORKER_THREADS = 1;
/** More threads than this only adds contention on any machine this broker targets. */
export const MAX_WORKER_THREADS = 64;
/** Outbound frames queued per connection before the broker stops pushing to it. */
export const DEFAULT_CHANNEL_CAPACITY = 100_000;
/** Frames per flush: amortises the write syscall without holding frames back for long. */
export const DEFAULT_BATCH_SIZE = 1000;
/** A frame waits at most this long in a batch; 0 flushes at the end of the current tick. */
export const DEFAULT_FLUSH_INTERVAL_MS = 1;
/**
 * Longest a publishing connection is paused (its socket not read) when a fanout delivery finds a
 * subscriber backed up, so a fast publisher waits for a healthy subscriber instead of pushing it
 * out of the ring (LAGGED). A few ms covers a subscriber's scheduling gap on a busy machine; a
 * subscriber that stays stuck that long no longer pauses anyone until it drains. 0 disables.
 */
export const DEFAULT_PUBLISHER_STALL_MS = 5;
/** Beyond a second the pause would stop being brief: a slow subscriber must not pace a publisher for long. */
export const MAX_PUBLISHER_STALL_MS = 1000;

// ---------------------------------------------------------------------------------------------
// [metrics]

/** Metrics cost little and are what an operator reaches for first, so they are on by default. */
export const DEFAULT_METRICS_ENABLED = true;
/** Loopback: a scraper on the same host reads them; exposing them further is a choice. */
export const DEFAULT_METRICS_BIND_ADDRESS = '127.0.0.1';
/** In the range Prometheus exporters conventionally use (9100-9999). */
export const DEFAULT_METRICS_PORT = 9464;

// ---------------------------------------------------------------------------------------------
// Loading

/** A configuration file larger than this is the wrong file; refusing it avoids reading it whole. */
export const MAX_CONFIG_FILE_BYTES = 16 * MiB;
/** Unknown keys within this edit distance of a known one get a "did you mean" hint. */
export const MAX_SUGGESTION_DISTANCE = 2;
