/**
 * Server-level series: connections (a gauge read at scrape time, opens and closes counted from
 * the server's lifecycle events, once per connection, never per message), ERR frames sent (the
 * server's own tally, read at scrape time), draining, config reloads (from the server's `reload`
 * event), and build info.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  type ClosedConnectionInfo,
  type ConnectionInfo,
  type MyceliumServer,
  ReloadOutcome,
  type ReloadReport,
  type Transport,
} from '../server/index.ts';

/** Every transport, so each series exists from the first scrape (at 0). */
const TRANSPORTS: readonly Transport[] = ['unix', 'tcp'];

/** What the server series need to be taken down. */
export interface ServerMetrics {
  /** Stops listening to the server's events. */
  detach(): void;
}

/** Registers the server series on `registry` and starts counting the server's events. */
export function registerServerMetrics(
  registry: Registry,
  server: MyceliumServer,
  version: string,
): ServerMetrics {
  const registers = [registry];
  new Gauge({
    name: 'mycelium_connections',
    help: 'Live connections (handshaking or established), by transport.',
    labelNames: ['transport'],
    registers,
    collect(this: Gauge<'transport'>) {
      const counts: Record<Transport, number> = { unix: 0, tcp: 0 };
      for (const c of server.connections.list()) counts[c.transport]++;
      for (const transport of TRANSPORTS) this.set({ transport }, counts[transport]);
    },
  });
  const opened = new Counter({
    name: 'mycelium_connections_opened_total',
    help: 'Connections accepted for service, by transport (refused ones are only in closed_total).',
    labelNames: ['transport'],
    registers,
  });
  const closed = new Counter({
    name: 'mycelium_connections_closed_total',
    help: 'Connections closed, by reason (an error code such as SLOW_CONSUMER, or CLIENT_CLOSED, ...).',
    labelNames: ['reason'],
    registers,
  });
  const reloads = new Counter({
    name: 'mycelium_config_reloads_total',
    help: 'Configuration reloads, by outcome: applied, unchanged (nothing differed), or rejected (the running config was kept).',
    labelNames: ['outcome'],
    registers,
  });
  new Counter({
    name: 'mycelium_errors_sent_total',
    help: 'ERR frames sent to clients, by error code: answers to one request (e.g. TOPIC_NOT_FOUND) and fatal ones that close the connection, refusals at accept included.',
    labelNames: ['code'],
    registers,
    collect(this: Counter<'code'>) {
      // The server counts; this reads its totals (counters have no set(): reset, then add).
      this.reset();
      for (const [code, count] of server.errorCounts()) this.inc({ code }, count);
    },
  });
  new Gauge({
    name: 'mycelium_draining',
    help: '1 while the server shuts down gracefully (or after it closed), else 0.',
    registers,
    collect(this: Gauge) {
      this.set(server.draining ? 1 : 0);
    },
  });
  new Gauge({
    name: 'mycelium_build_info',
    help: 'Always 1; the labels carry the server version.',
    labelNames: ['version'],
    registers,
  }).set({ version }, 1);

  for (const transport of TRANSPORTS) opened.inc({ transport }, 0);
  for (const outcome of Object.values(ReloadOutcome)) reloads.inc({ outcome }, 0);
  // Connections accepted before metrics started were opened all the same.
  for (const c of server.connections.list()) opened.inc({ transport: c.transport });

  const onOpened = (info: ConnectionInfo): void => {
    opened.inc({ transport: info.transport });
  };
  const onClosed = (info: ClosedConnectionInfo): void => {
    closed.inc({ reason: info.reason });
  };
  const onReload = (report: ReloadReport): void => {
    reloads.inc({ outcome: report.outcome });
  };
  server.on('connection_opened', onOpened);
  server.on('connection_closed', onClosed);
  server.on('reload', onReload);
  return {
    detach() {
      server.off('connection_opened', onOpened);
      server.off('connection_closed', onClosed);
      server.off('reload', onReload);
    },
  };
}
