/**
 * The Prometheus registry of one server: its own `Registry` (never prom-client's global one, so
 * two servers in one process keep separate series), the Mycelium series, and prom-client's
 * process and event-loop metrics.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MyceliumServer } from '../server/index.ts';
import { registerServerMetrics } from './server-metrics.ts';
import { BrokerSnapshot } from './snapshot.ts';
import { registerTopicMetrics } from './topic-metrics.ts';

/** Sampling period of the event-loop delay histogram, in ms (prom-client's default). */
export const DEFAULT_EVENT_LOOP_PRECISION_MS = 10;

/** A server's registry, fed by the server's events and the broker's topic deletions. */
export interface MyceliumRegistry {
  readonly registry: Registry;
  /** Stops listening to the server's events and the broker's topic deletions. */
  detach(): void;
}

/** Builds the registry for `server`; `detach()` it when done. */
export function createRegistry(
  server: MyceliumServer,
  version: string,
  eventLoopMonitoringPrecision: number = DEFAULT_EVENT_LOOP_PRECISION_MS,
): MyceliumRegistry {
  const registry = new Registry();
  const snapshot = new BrokerSnapshot(server.broker);
  registerTopicMetrics(registry, snapshot);
  const serverMetrics = registerServerMetrics(registry, server, version);
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision });
  return {
    registry,
    detach() {
      serverMetrics.detach();
      snapshot.close();
    },
  };
}
