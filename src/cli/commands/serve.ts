/**
 * `mycelium serve`: runs the broker until SIGTERM or SIGINT. The configuration loads like
 * `config check` (file or MYCELIUM_CONFIG or defaults, then MYCELIUM_* env, then these flags).
 * The first signal drains gracefully (publishes get SHUTTING_DOWN, accepted messages are
 * delivered, queue acks are awaited up to shutdown_grace_ms) and exits 0; a second signal exits
 * at once with code 1. SIGHUP, and any change to the configuration file (watched when the server
 * was started from one), reload the configuration (docs/operations.md, Hot reload).
 */
import type { Command } from 'commander';
import { type ConfigOverride, loadConfig } from '../../config/index.ts';
import { ConfigError, MyceliumError } from '../../errors.ts';
import {
  type ConfigWatcher,
  createLogger,
  type Logger,
  type MyceliumServer,
  startServer,
  watchConfigFile,
} from '../../server/index.ts';

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
  // The default action of SIGHUP, SIGTERM and SIGINT ends the process: take them over before
  // anything can be slow, so a signal during start-up is a reload or a drain, never a kill.
  const reloads = new ReloadTriggers();
  const stop = new StopSignals();
  let config: Awaited<ReturnType<typeof loadConfig>>;
  const overrides = serveOverrides(flags);
  try {
    config = await loadConfig({
      ...(flags.config === undefined ? {} : { file: flags.config }),
      overrides,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`mycelium serve: ${err.code}:\n${err.problems.map((p) => `  - ${p}\n`).join('')}`);
    reloads.stop();
    stop.stop();
    return 1;
  }
  const logger = createLogger(config.config.server.log_level);
  stop.logger = logger;
  logger.info({ config: config.source, overrides: config.applied }, 'configuration loaded');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    // The file is resolved (it may have come from MYCELIUM_CONFIG), so a reload reads the same one.
    const load = config.file === undefined ? { overrides } : { file: config.file, overrides };
    server = await startServer(config.config, { logger, load });
    // [metrics] enabled: a metrics address that cannot be bound closes the server and fails here.
    // Loaded only then: the metrics registry costs a few MiB of RSS a broker without it never uses.
    if (config.config.metrics.enabled) {
      const { serveMetrics } = await import('../../metrics/index.ts');
      await serveMetrics(server, { logger });
    }
  } catch (err) {
    if (!(err instanceof MyceliumError)) throw err;
    logger.fatal({ code: err.code }, err.message);
    reloads.stop();
    stop.stop();
    return 1;
  }
  const { unix, tcp } = server.addresses;
  logger.info(`listening on unix:${unix} and tcp://${tcp.host}:${tcp.port}`);
  reloads.start(server, config.file, logger);
  const signal = await stop.first;
  logger.info({ signal }, 'shutting down gracefully (send the signal again to exit at once)');
  // A SIGHUP during the drain is still handled (and answered: the server is shutting down).
  reloads.unwatch();
  await server.shutdown();
  reloads.stop();
  logger.info('shutdown complete');
  return 0;
}

/**
 * SIGHUP and the file watch. The SIGHUP handler is installed at once (a SIGHUP during start-up
 * would otherwise end the process) and a reload asked for before the server listens runs as soon
 * as it does. Every reload logs its own report; nothing here can fail the server.
 */
class ReloadTriggers {
  #server: MyceliumServer | undefined;
  #logger: Logger | undefined;
  #pending = false;
  #watcher: ConfigWatcher | undefined;
  readonly #onHup = (): void => this.#reload('SIGHUP');

  constructor() {
    process.on('SIGHUP', this.#onHup);
  }

  /** Serves reloads for `server`; watches `file` when the configuration came from one. */
  start(server: MyceliumServer, file: string | undefined, logger: Logger): void {
    this.#server = server;
    this.#logger = logger;
    if (file !== undefined) {
      this.#watcher = watchConfigFile(file, () => this.#reload('file watch'), { logger });
      logger.info({ file }, 'watching the configuration file; a change reloads it');
    }
    if (this.#pending) this.#reload('SIGHUP');
  }

  /** Stops the file watch. */
  unwatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  /** Stops everything, SIGHUP included. */
  stop(): void {
    this.unwatch();
    process.off('SIGHUP', this.#onHup);
    this.#server = undefined;
  }

  #reload(trigger: string): void {
    if (this.#server === undefined) {
      this.#pending = true;
      return;
    }
    this.#pending = false;
    // The server logs the report (and a rejection at warn); only a bug would reject here.
    this.#server.reload(undefined, { trigger }).catch((err: unknown) => {
      this.#logger?.error({ err, trigger }, 'reload failed unexpectedly; the server goes on');
    });
  }
}

/**
 * SIGTERM and SIGINT, taken over from the start: `first` resolves with the first one (a drain
 * follows, at once if the server was still starting); a second one exits the process at once.
 */
class StopSignals {
  /** Set once there is one: the second signal's line goes there (stderr before). */
  logger: Logger | undefined;
  readonly first: Promise<NodeJS.Signals>;
  #resolve: (signal: NodeJS.Signals) => void = () => {};
  #seen = false;
  readonly #onSignal = (signal: NodeJS.Signals): void => {
    if (!this.#seen) {
      this.#seen = true;
      this.#resolve(signal);
      return;
    }
    if (this.logger === undefined) process.stderr.write(`mycelium serve: second ${signal}: exiting\n`);
    else this.logger.warn({ signal }, 'second signal: exiting without finishing the drain');
    process.exit(EXIT_INTERRUPTED);
  };

  constructor() {
    this.first = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    process.on('SIGTERM', this.#onSignal);
    process.on('SIGINT', this.#onSignal);
  }

  /** Gives the signals back (start-up failed; the process is about to exit). */
  stop(): void {
    process.off('SIGTERM', this.#onSignal);
    process.off('SIGINT', this.#onSignal);
  }
}

/** Registers `mycelium serve`. */
export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'run the broker (Unix socket and TCP); SIGTERM or SIGINT drains and exits, a second one exits at once; SIGHUP or a change to the config file reloads it',
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
