/**
 * The server's logger: pino, JSON by default, human-readable through pino-pretty when stdout is a
 * terminal. Each lifecycle event is logged once, never anything per message: connections (opened,
 * established, closed with the reason), subscriptions (made, ended), reloads (one line with the
 * report) and shutdown (draining, closed). The level comes from `server.log_level` (file, env or
 * `--log-level`) and a reload changes it in place.
 */
import { pino, type Level, type Logger } from 'pino';
import type { CloseReason } from './close-reason.ts';

export type { Logger } from 'pino';

/** Log levels the config accepts (`server.log_level`). */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * A pino logger at `level`. `pretty` (default: stdout is a TTY) formats lines for people through
 * the pino-pretty transport; otherwise lines are JSON on stdout. `auth_token` is redacted wherever
 * it might appear in a logged object.
 */
export function createLogger(level: LogLevel, options: { pretty?: boolean } = {}): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  return pino({
    name: 'mycelium',
    level,
    redact: { paths: ['auth_token', '*.auth_token', 'token', '*.token'], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}

/** Closes that are the normal end of a connection: logged at debug, like opens. */
const ROUTINE_CLOSES: ReadonlySet<CloseReason> = new Set<CloseReason>([
  'CLIENT_CLOSED',
  'SERVER_CLOSED',
  'SHUTTING_DOWN',
]);

/**
 * The level of a 'connection closed' line: debug when the client left or the server shut down,
 * warn for a server bug (its stack is logged at error where it happened), info when the server
 * closed the connection for a reason an operator may want to see (slow consumer, heartbeat,
 * handshake, auth, limits, protocol errors).
 */
export function closeLevel(reason: CloseReason): Level {
  if (ROUTINE_CLOSES.has(reason)) return 'debug';
  return reason === 'INTERNAL_ERROR' ? 'warn' : 'info';
}
