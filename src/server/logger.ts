/**
 * The server's logger: pino, JSON by default, human-readable through pino-pretty when stdout is a
 * terminal. The server logs connection open/close at debug and never anything per message.
 */
import { pino, type Logger } from 'pino';

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
