/**
 * `mycelium serve`: runs the broker until SIGTERM or SIGINT. The configuration loads like
 * `config check` (file or MYCELIUM_CONFIG or defaults, then MYCELIUM_* env, then these flags).
 * The first signal drains gracefully (publishes get SHUTTING_DOWN, accepted messages are
 * delivered, queue acks are awaited up to shutdown_grace_ms) and exits 0; a second signal exits
 * at once with code 1.
 */
import type { Command } from 'commander';
import { type ConfigOverride, loadConfig } from '../../config/index.ts';
import { ConfigError, MyceliumError } from '../../errors.ts';
import { createLogger, type Logger, startServer } from '../../server/index.ts';

/** The flags of `serve`, as commander hands them over. */
export interface ServeFlags {
  readonly config?: string;
  readonly port?: string;
  readonly socket?: string;
  readonly bind?: string;
  readonly logLevel?: string;
}

/** Exit code after a second signal cut a drain short. */
export const EXIT_INTERRUPTED = 1;

/** Flag overrides for loadConfig: each flag maps to one key and wins over env and file. */
export function serveOverrides(flags: ServeFlags): ConfigOverride[] {
  const overrides: ConfigOverride[] = [];
  if (flags.port !== undefined) overrides.push({ key: 'server.port', value: flags.port, source: '--port' });
  if (flags.socket !== undefined)
    overrides.push({ key: 'server.socket_path', value: flags.socket, source: '--socket' });
  if (flags.bind !== undefined)
    overrides.push({ key: 'server.bind_address', value: flags.bind, source: '--bind' });
  if (flags.logLevel !== undefined) {
    overrides.push({ key: 'server.log_level', value: flags.logLevel, source: '--log-level' });
  }
  return overrides;
}

/**
 * Runs the server until a signal stops it; resolves with the process exit code (0 after a
 * graceful shutdown, 1 when the configuration is bad or a listener cannot open).
 */
export async function runServe(flags: ServeFlags): Promise<number> {
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig({
      ...(flags.config === undefined ? {} : { file: flags.config }),
      overrides: serveOverrides(flags),
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`mycelium serve: ${err.code}:\n${err.problems.map((p) => `  - ${p}\n`).join('')}`);
    return 1;
  }
  const logger = createLogger(config.config.server.log_level);
  logger.info({ config: config.source, overrides: config.applied }, 'configuration loaded');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config.config, { logger });
  } catch (err) {
    if (!(err instanceof MyceliumError)) throw err;
    logger.fatal({ code: err.code }, err.message);
    return 1;
  }
  const { unix, tcp } = server.addresses;
  logger.info(`listening on unix:${unix} and tcp://${tcp.host}:${tcp.port}`);
  await untilSignalled(logger);
  await server.shutdown();
  logger.info('shutdown complete');
  return 0;
}

/** Resolves on the first SIGTERM or SIGINT; a second one exits the process at once. */
function untilSignalled(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down gracefully (send the signal again to exit at once)');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      const again = (second: NodeJS.Signals): void => {
        logger.warn({ signal: second }, 'second signal: exiting without finishing the drain');
        process.exit(EXIT_INTERRUPTED);
      };
      process.once('SIGTERM', again);
      process.once('SIGINT', again);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** Registers `mycelium serve`. */
export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'run the broker (Unix socket and TCP); SIGTERM or SIGINT drains and exits, a second one exits at once',
    )
    .option(
      '-c, --config <file>',
      'TOML configuration file (default: $MYCELIUM_CONFIG, else built-in defaults)',
    )
    .option('--port <n>', 'TCP port (server.port; 0 picks a free one)')
    .option('--socket <path>', 'Unix socket path (server.socket_path)')
    .option('--bind <address>', 'TCP bind address (server.bind_address)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (server.log_level)')
    .action(async (flags: ServeFlags) => {
      process.exitCode = await runServe(flags);
    });
}
