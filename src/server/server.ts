/**
 * The server: listeners, the connection registry, the sweep, and the lifecycle (start, hot
 * reload, graceful shutdown, immediate close). Routing state lives in the broker; this file only
 * wires sockets to it (ARCHITECTURE.md §1).
 */
import { EventEmitter } from 'node:events';
import type { Server, Socket } from 'node:net';
import { Broker } from '../broker/index.ts';
import type { BrokerConfig, LoadOptions } from '../config/index.ts';
import type { ErrorCode } from '../errors.ts';
import { forgetViews } from '../byte-copy.ts';
import { listenTcp, type TcpAddress } from '../listen-tcp.ts';
import { encodeErr } from '../protocol/index.ts';
import { TokenCheck } from './auth.ts';
import { ChunkPool } from './chunk-pool.ts';
import { LocalCloseReason } from './close-reason.ts';
import { Connection } from './connection.ts';
import {
  type ClosedConnectionInfo,
  type ConnectionInfo,
  refusedInfo,
  remoteOf,
  type Transport,
} from './connection-info.ts';
import { connectionLimits, type ServerContext, type Writable } from './context.ts';
import { undrained, waitUntil } from './drain.ts';
import { FlushScheduler } from './flush-scheduler.ts';
import { closeLevel, createLogger, type Logger } from './logger.ts';
import { ConnectionRegistry, type ConnectionRegistryView } from './registry.ts';
import { type LiveServer, logReload, type ReloadOptions, type ReloadRequest, runReload } from './reload.ts';
import type { ReloadReport } from './reload-report.ts';
import { type SettingsInForce, settingsInForce } from './settings-in-force.ts';
import { lingerThenDestroy } from './socket-close.ts';
import { acceptingServer, adoptAccepted } from './shared-reads.ts';
import { type Sweepable, Sweeper, sweepPeriodMs } from './sweeper.ts';
import { logStartup, prepareTopics } from './startup.ts';
import { listenUnix, parseSocketMode, removeSocketFile, type UnixListenResult } from './unix-listener.ts';

/** The name a server gives in WELCOME. */
export const SERVER_NAME = 'mycelium';

/** The copy helpers' view caches, emptied on every sweep (src/byte-copy.ts). */
const VIEW_CACHES: Sweepable = { sweep: forgetViews };

/** Options of `startServer`. */
export interface StartOptions {
  /** Where to log (default: a JSON pino logger at `server.log_level` on stdout). */
  readonly logger?: Logger;
  /** The broker to serve (default: a new one). Topics from the config are created on it. */
  readonly broker?: Broker;
  /**
   * How `config` was loaded (`loadConfig`'s options: the file, env and flag overrides). With a
   * file, `reload()` reads that file again the same way; without one, `reload()` needs an argument.
   */
  readonly load?: LoadOptions;
}

/** Where a running server listens. */
export interface ServerAddresses {
  readonly unix: string;
  /** The bound TCP address; `port` is the real one when the config asked for port 0. */
  readonly tcp: TcpAddress;
}

/** Lifecycle events of a {@link MyceliumServer}. */
export interface MyceliumServerEvents {
  /** A socket was accepted (before its handshake). */
  connection_opened: [info: ConnectionInfo];
  /** A connection completed its handshake. */
  connection_established: [info: ConnectionInfo];
  /** A connection closed; `info.reason` says why (also for clients refused at max_connections). */
  connection_closed: [info: ClosedConnectionInfo];
  /** A graceful shutdown began: listeners are closed and publishes get SHUTTING_DOWN. */
  draining: [];
  /** Every connection and listener is closed and the socket file removed. */
  closed: [];
  /** A configuration reload ended: applied, unchanged, or rejected (the running config kept). */
  reload: [report: ReloadReport];
}

/** A running Mycelium server. Create one with {@link startServer}. */
export class MyceliumServer extends EventEmitter<MyceliumServerEvents> {
  readonly broker: Broker;
  #config: BrokerConfig;
  readonly #load: LoadOptions | undefined;
  /** The reload running now, if any: reloads run one at a time, in the order asked. */
  #reloading: Promise<unknown> = Promise.resolve();
  readonly #registry = new ConnectionRegistry();
  /** ERR frames sent, by code: read by the metrics layer at scrape time. */
  readonly #errorsSent = new Map<ErrorCode, number>();
  /** When the server was constructed, for uptime in stats. */
  readonly startedAt = new Date();
  readonly #sockets = new Set<Socket>();
  readonly #logger: Logger;
  /** Its `token` and `draining` are written here; connections only read them. */
  readonly #ctx: Writable<ServerContext, 'token' | 'draining'>;
  readonly #sweeper: Sweeper;
  readonly #unixServer: Server;
  readonly #tcpServer: Server;
  #addresses: ServerAddresses | undefined;
  #unixBound: UnixListenResult | undefined;
  #nextId = 0;
  #closed = false;
  #shutdown: Promise<void> | undefined;
  #socketsGone: (() => void)[] = [];
  #emittedClosed = false;

  /** Use {@link startServer}; the constructor does not listen. */
  constructor(config: BrokerConfig, options: StartOptions = {}) {
    super();
    this.#config = config;
    this.#load = options.load;
    const s = config.server;
    const p = config.performance;
    this.#logger = options.logger ?? createLogger(s.log_level, { pretty: false });
    this.broker = options.broker ?? new Broker();
    this.#ctx = {
      broker: this.broker,
      limits: connectionLimits(config),
      logger: this.#logger,
      pool: new ChunkPool(),
      scheduler: new FlushScheduler(p.flush_interval_ms),
      token: s.auth_token === undefined ? undefined : new TokenCheck(s.auth_token),
      serverName: SERVER_NAME,
      draining: false,
      errorSent: (code) => this.#errorsSent.set(code, (this.#errorsSent.get(code) ?? 0) + 1),
      connectionEstablished: (c) => this.#established(c),
      connectionClosing: (c) => this.#registry.remove(c),
      connectionClosed: (c) => this.#connectionClosed(c.closedInfo()),
      reloadConfig: (trigger) => this.reload(undefined, { trigger }),
    };
    const period = sweepPeriodMs(s.connection_timeout_ms, s.heartbeat_interval_ms, s.write_deadline_ms);
    // The sweep also trims the chunk pool to what recent output needed and lets go of the
    // buffers the copy helpers' view caches refer to.
    const pool = this.#ctx.pool;
    const registry = this.#registry;
    this.#sweeper = new Sweeper(period, function* () {
      yield pool;
      yield VIEW_CACHES;
      yield* registry.values();
    });
    this.#unixServer = acceptingServer(false, (socket) => this.#accept(socket, 'unix'));
    this.#tcpServer = acceptingServer(true, (socket) => this.#accept(socket, 'tcp'));
  }

  /** The configuration in force: a reload that applies replaces it, any other leaves it as it was. */
  get config(): BrokerConfig {
    return this.#config;
  }

  /** The reloadable settings as connections apply them now (settings-in-force.ts). */
  settingsInForce(): SettingsInForce {
    return settingsInForce(this.#config, this.#ctx, this.#sweeper);
  }

  /** Where the server listens (after `startServer` resolved). */
  get addresses(): ServerAddresses {
    if (this.#addresses === undefined) throw new Error('the server is not listening yet');
    return this.#addresses;
  }

  /** The live connections. */
  get connections(): ConnectionRegistryView {
    return this.#registry;
  }

  /** ERR frames sent to clients since start, by code (fatal and not; refusals included). */
  errorCounts(): ReadonlyMap<ErrorCode, number> {
    return this.#errorsSent;
  }

  /** True from the start of `shutdown()` (or `close()`). */
  get draining(): boolean {
    return this.#ctx.draining;
  }

  /** Creates the configured topics, opens both listeners and starts the sweep. */
  async listen(): Promise<ServerAddresses> {
    prepareTopics(this.broker, this.config.topics, this.#logger);
    const s = this.config.server;
    this.#unixBound = await listenUnix(this.#unixServer, s.socket_path, parseSocketMode(s.socket_mode));
    let tcp: TcpAddress;
    try {
      tcp = await listenTcp(this.#tcpServer, s.bind_address, s.port);
    } catch (err) {
      await this.#closeListeners();
      throw err;
    }
    this.#addresses = { unix: this.#unixBound.path, tcp };
    // After listen, a listener error is logged and the server keeps serving. (EMFILE on accept
    // never gets here on Linux: libuv closes the connection itself; see open-files.ts.)
    const onListenerError = (err: Error): void => {
      this.#logger.error({ err }, 'listener error');
    };
    this.#unixServer.on('error', onListenerError);
    this.#tcpServer.on('error', onListenerError);
    this.#sweeper.start();
    logStartup(this.#logger, this.config, this.#addresses);
    return this.#addresses;
  }

  /**
   * Reloads the configuration, all or nothing (docs/operations.md, Hot reload): from `next` (a
   * configuration object or `{ file }`), or else the file the server was started from, read with
   * the same overrides. If anything is invalid or a change needs a restart, nothing changes and
   * the report says why (`outcome: 'rejected'`, `code`, `problems`); otherwise every change is
   * applied live without closing a connection or ending a subscription, except those of removed
   * topics (they get TOPIC_DELETED). Emits `reload` and logs the report once. Reloads run one at
   * a time; a reload asked for during another waits for it.
   * @returns the report; rejects only on an unexpected failure (a bug), never for a bad config
   */
  reload(next?: ReloadRequest, options: ReloadOptions = {}): Promise<ReloadReport> {
    const run = this.#reloading.then(() => this.#reload(next, options.trigger ?? 'api'));
    this.#reloading = run.catch(() => undefined);
    return run;
  }

  async #reload(next: ReloadRequest | undefined, trigger: string): Promise<ReloadReport> {
    const { report, config } = await runReload({
      current: this.#config,
      request: next,
      load: this.#load,
      trigger,
      draining: () => this.#ctx.draining,
      live: this.#live,
    });
    this.#config = config;
    logReload(this.#logger, report);
    this.emit('reload', report);
    return report;
  }

  /** What a reload changes in place. */
  get #live(): LiveServer {
    return {
      broker: this.broker,
      limits: this.#ctx.limits,
      scheduler: this.#ctx.scheduler,
      sweeper: this.#sweeper,
      logger: this.#logger,
      connectionCount: () => this.#registry.count,
      setToken: (token) => {
        this.#ctx.token = token === undefined ? undefined : new TokenCheck(token);
      },
    };
  }

  /**
   * Graceful shutdown: stop accepting, answer publishes with SHUTTING_DOWN, deliver what was
   * accepted, wait up to shutdown_grace_ms for queue acks and waiting messages, then send
   * SHUTTING_DOWN and close every connection. Calling it again returns the same promise.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#drain();
    return this.#shutdown;
  }

  /** Immediate close: listeners and every connection are closed at once, nothing is drained. */
  async close(): Promise<void> {
    this.#ctx.draining = true;
    if (!this.#closed) {
      this.#closed = true;
      this.#sweeper.stop();
      for (const c of [...this.#registry.values()]) c.close(LocalCloseReason.ServerClosed);
      for (const socket of this.#sockets) socket.destroy();
    }
    await this.#finish();
  }

  async #drain(): Promise<void> {
    if (this.#closed) return;
    this.#ctx.draining = true;
    this.#logger.info({ connections: this.#registry.count }, 'shutting down: draining');
    this.emit('draining');
    this.#unixServer.close();
    this.#tcpServer.close();
    for (const c of [...this.#registry.values()]) {
      if (!c.established) c.fail('SHUTTING_DOWN', 'the server is shutting down');
      else if (c.reads.blocked) c.reads.releaseHeld();
      else this.broker.resumeSubscriber(c);
    }
    this.#ctx.scheduler.flushAll();
    const left = await waitUntil(
      () => undrained(this.broker, this.#registry.values()),
      this.config.server.shutdown_grace_ms,
      () => this.#closed,
    );
    if (left !== undefined && !this.#closed) {
      this.#logger.warn({ left }, 'shutdown grace period over with messages undelivered');
    }
    for (const c of [...this.#registry.values()]) c.fail('SHUTTING_DOWN', 'the server is shutting down');
    this.#closed = true;
    await this.#finish();
  }

  /** Waits for every socket to close, closes the listeners, removes the socket file. */
  async #finish(): Promise<void> {
    if (this.#sockets.size > 0) await new Promise<void>((resolve) => this.#socketsGone.push(resolve));
    this.#sweeper.stop();
    await this.#closeListeners();
    if (!this.#emittedClosed) {
      this.#emittedClosed = true;
      this.#logger.info('server closed');
      this.emit('closed');
    }
  }

  async #closeListeners(): Promise<void> {
    await Promise.all([closeServer(this.#unixServer), closeServer(this.#tcpServer)]);
    if (this.#unixBound !== undefined) await removeSocketFile(this.#unixBound);
  }

  #accept(raw: Socket, transport: Transport): void {
    const id = ++this.#nextId;
    const max = this.config.server.max_connections;
    let refusal: ['MAX_CONNECTIONS' | 'SHUTTING_DOWN', string] | undefined;
    if (this.#ctx.draining) refusal = ['SHUTTING_DOWN', 'the server is shutting down'];
    else if (this.#registry.count >= max) {
      refusal = ['MAX_CONNECTIONS', `the server is at max_connections (${max})`];
    }
    // A refused socket keeps reading (and discarding), so its ERR is not lost to a reset.
    const socket = this.#closed || refusal !== undefined ? raw.resume() : adoptAccepted(raw);
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      if (this.#sockets.size === 0) for (const resolve of this.#socketsGone.splice(0)) resolve();
    });
    if (this.#closed) {
      socket.destroy();
    } else if (refusal !== undefined) {
      this.#refuse(socket, id, transport, refusal[0], refusal[1]);
    } else {
      const conn = new Connection(id, socket, transport, this.#ctx);
      this.#registry.add(conn);
      this.#logger.debug({ conn: id, transport, remote: conn.remote }, 'connection opened');
      this.emit('connection_opened', conn.info());
    }
  }

  /** Answers a socket we will not serve with one ERR, then closes it; others are unaffected. */
  #refuse(
    socket: Socket,
    id: number,
    transport: Transport,
    reason: 'MAX_CONNECTIONS' | 'SHUTTING_DOWN',
    text: string,
  ): void {
    socket.on('error', () => {});
    this.#ctx.errorSent(reason);
    socket.end(encodeErr(reason, 0, 0, text));
    const linger = lingerThenDestroy(socket);
    const remote = remoteOf(socket, transport);
    socket.once('close', () => {
      clearTimeout(linger);
      this.#connectionClosed(refusedInfo(id, transport, remote, reason));
    });
  }

  #established(conn: Connection): void {
    this.#logger.debug(
      { conn: conn.id, transport: conn.transport, client: conn.clientName },
      'connection established',
    );
    this.emit('connection_established', conn.info());
  }

  #connectionClosed(info: ClosedConnectionInfo): void {
    this.#logger[closeLevel(info.reason)](
      { conn: info.id, client: info.clientName, reason: info.reason, detail: info.detail },
      'connection closed',
    );
    this.emit('connection_closed', info);
  }
}

/** Starts a server for `config`: topics created, both listeners open. */
export async function startServer(config: BrokerConfig, options: StartOptions = {}): Promise<MyceliumServer> {
  const server = new MyceliumServer(config, options);
  await server.listen();
  return server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
