import { MyceliumError } from '../errors.ts';
import type { TransportFactory } from './transport.ts';

/** Options of `connect()`. Every field is optional; the defaults are the constants below. */
export interface ConnectOptions {
  /** Client name sent in HELLO and shown in the server's logs (at most 256 UTF-8 bytes). */
  name?: string;
  /** Shared secret the server may require on TCP (at most 1024 UTF-8 bytes). */
  token?: string;
  /** Reconnect after an unexpected disconnect (default true). */
  reconnect?: boolean;
  /** Reconnect attempts in a row before giving up and closing (default 60; Infinity allowed). */
  maxReconnectAttempts?: number;
  /** Delay before the first reconnect attempt; it doubles each attempt (default 100 ms). */
  reconnectDelayMs?: number;
  /** Cap of the reconnect delay (default 2000 ms). */
  maxReconnectDelayMs?: number;
  /** Bytes of publish frames held while disconnected; past it publishes are dropped (default 8 MiB). */
  reconnectBufferBytes?: number;
  /** Deadline for the socket to connect and the handshake to complete (default 5000 ms). */
  connectTimeoutMs?: number;
  /** How often the client PINGs the server (default: the server's heartbeat interval; 0 = never). */
  pingIntervalMs?: number;
  /** PING intervals without any byte from the server before it is presumed dead (default 2). */
  maxPingsOut?: number;
  /** Opens the byte stream (default: a Unix socket or TCP over node:net); plug in another here. */
  transport?: TransportFactory;
}

/** Default `maxReconnectAttempts`: with the delay capped at 2 s, about two minutes of retrying. */
export const DEFAULT_MAX_RECONNECT_ATTEMPTS = 60;
/** Default `reconnectDelayMs`: short enough that a restart-in-place is barely noticed. */
export const DEFAULT_RECONNECT_DELAY_MS = 100;
/** Default `maxReconnectDelayMs`, as nats.js's reconnectTimeWait. */
export const DEFAULT_MAX_RECONNECT_DELAY_MS = 2000;
/** Default `reconnectBufferBytes`, as nats.js's reconnect buffer: 8 MiB. */
export const DEFAULT_RECONNECT_BUFFER_BYTES = 8 * 1024 * 1024;
/** Default `connectTimeoutMs`: a local broker answers in well under a millisecond. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** Default `maxPingsOut`, as the server's heartbeat_max_missed. */
export const DEFAULT_MAX_PINGS_OUT = 2;
/** HELLO limits (docs/protocol.md, HELLO). */
export const MAX_NAME_BYTES = 256;
export const MAX_TOKEN_BYTES = 1024;

/** Options with every default applied. `pingIntervalMs` stays undefined until WELCOME says. */
export interface ResolvedOptions {
  readonly name: string;
  readonly token: string;
  readonly reconnect: boolean;
  readonly maxReconnectAttempts: number;
  readonly reconnectDelayMs: number;
  readonly maxReconnectDelayMs: number;
  readonly reconnectBufferBytes: number;
  readonly connectTimeoutMs: number;
  readonly pingIntervalMs: number | undefined;
  readonly maxPingsOut: number;
}

function bad(key: string, rule: string, value: unknown): MyceliumError {
  return new MyceliumError(
    'INVALID_ARGUMENT',
    `connect option ${key} must be ${rule} (got ${String(value)})`,
  );
}

function count(
  key: string,
  value: number | undefined,
  fallback: number,
  min: number,
  infinite = false,
): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    value >= min &&
    (Number.isInteger(value) || (infinite && value === Infinity));
  if (!ok) throw bad(key, `an integer >= ${min}${infinite ? ' or Infinity' : ''}`, value);
  return value;
}

function text(key: string, value: string | undefined, maxBytes: number): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || Buffer.byteLength(value) > maxBytes) {
    throw bad(key, `a string of at most ${maxBytes} UTF-8 bytes`, value);
  }
  return value;
}

/**
 * Applies defaults and checks every option.
 * @throws MyceliumError INVALID_ARGUMENT naming the option
 */
export function resolveOptions(options: ConnectOptions = {}): ResolvedOptions {
  if (options.reconnect !== undefined && typeof options.reconnect !== 'boolean') {
    throw bad('reconnect', 'a boolean', options.reconnect);
  }
  const reconnectDelayMs = count('reconnectDelayMs', options.reconnectDelayMs, DEFAULT_RECONNECT_DELAY_MS, 1);
  const maxReconnectDelayMs = count(
    'maxReconnectDelayMs',
    options.maxReconnectDelayMs,
    Math.max(DEFAULT_MAX_RECONNECT_DELAY_MS, reconnectDelayMs),
    reconnectDelayMs,
  );
  return {
    name: text('name', options.name, MAX_NAME_BYTES),
    token: text('token', options.token, MAX_TOKEN_BYTES),
    reconnect: options.reconnect ?? true,
    maxReconnectAttempts: count(
      'maxReconnectAttempts',
      options.maxReconnectAttempts,
      DEFAULT_MAX_RECONNECT_ATTEMPTS,
      1,
      true,
    ),
    reconnectDelayMs,
    maxReconnectDelayMs,
    reconnectBufferBytes: count(
      'reconnectBufferBytes',
      options.reconnectBufferBytes,
      DEFAULT_RECONNECT_BUFFER_BYTES,
      0,
    ),
    connectTimeoutMs: count('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 1),
    pingIntervalMs:
      options.pingIntervalMs === undefined
        ? undefined
        : count('pingIntervalMs', options.pingIntervalMs, 0, 0),
    maxPingsOut: count('maxPingsOut', options.maxPingsOut, DEFAULT_MAX_PINGS_OUT, 1),
  };
}
