/**
 * The brokers of one suite run: which are available, one long-lived process per broker for the
 * throughput and latency rows, fresh ones for the memory rows, and restart after a crash.
 */
import { startFloor } from './floor.ts';
import { myceliumMissing, startMycelium } from './mycelium-broker.ts';
import { cpuSecondsOf } from './proc.ts';
import { type Broker, ensurePeers, startNats, startRedis, versionOf, waitReady } from './peers.ts';
import { ALL_SYSTEMS, type BrokerId, brokerOf, type Endpoint, type SystemId } from './types.ts';

/** How long a broker may take to accept connections (Mycelium compiles its TS on start). */
const START_TIMEOUT_MS = 30_000;

export class BrokerSet {
  readonly #dir: string;
  readonly #binaries: Partial<Record<'nats' | 'redis', string>>;
  /** Why each unavailable broker is skipped. */
  readonly skipped: Partial<Record<BrokerId, string>> = {};
  readonly available: BrokerId[] = [];
  readonly #running = new Map<BrokerId, Broker>();
  #fresh = 0;

  constructor(dir: string, only: readonly BrokerId[], log: (line: string) => void) {
    this.#dir = dir;
    const peers = only.filter((b): b is 'nats' | 'redis' => b === 'nats' || b === 'redis');
    const { binaries, skipped } = ensurePeers(peers, log);
    this.#binaries = binaries;
    Object.assign(this.skipped, skipped);
    if (only.includes('mycelium')) {
      const missing = myceliumMissing();
      if (missing) this.skipped.mycelium = `the Mycelium server is not in this tree (${missing})`;
      else this.available.push('mycelium');
    }
    for (const peer of peers) if (binaries[peer]) this.available.push(peer);
    if (only.includes('floor')) this.available.push('floor');
  }

  /** Versions of the peer servers, for the report. */
  versions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [peer, binary] of Object.entries(this.#binaries)) out[peer] = versionOf(binary);
    return out;
  }

  /** Systems served by the available brokers, in table order. */
  systems(): SystemId[] {
    return ALL_SYSTEMS.filter((s) => this.available.includes(brokerOf(s)));
  }

  /** Starts a new process of `id` and waits until it accepts connections. */
  async start(id: BrokerId): Promise<Broker> {
    const tag = `${id}-${++this.#fresh}`;
    const dir = this.#dir;
    let broker: Broker;
    if (id === 'mycelium') broker = await startMycelium(dir, tag);
    else if (id === 'nats') broker = await startNats(this.#binaries.nats!, dir, tag);
    else if (id === 'redis') broker = await startRedis(this.#binaries.redis!, dir, tag);
    else broker = await startFloor(dir, tag);
    await waitReady(broker, START_TIMEOUT_MS);
    return broker;
  }

  /** The long-lived broker serving `system`, started (or restarted after a crash) on demand. */
  async endpoint(system: SystemId): Promise<Endpoint> {
    const id = brokerOf(system);
    let broker = this.#running.get(id);
    if (!broker?.alive()) {
      broker = await this.start(id);
      this.#running.set(id, broker);
    }
    const endpoint = broker.endpoints[system];
    if (!endpoint) throw new Error(`${id} does not serve ${system}`);
    return endpoint;
  }

  /** CPU seconds the long-lived broker of `system` has used so far, or null if it is not running. */
  cpuSeconds(system: SystemId): number | null {
    const pid = this.#running.get(brokerOf(system))?.process.pid;
    return pid === undefined ? null : cpuSecondsOf(pid);
  }

  /** Whether the long-lived broker of `system` died; if so, says so with its log file. */
  crashed(system: SystemId): string | null {
    const broker = this.#running.get(brokerOf(system));
    if (!broker || broker.alive()) return null;
    const { exitCode, signalCode } = broker.process;
    return `${broker.id} exited (${signalCode ?? `code ${exitCode}`}); see ${broker.logPath}`;
  }

  /** Stops every long-lived broker. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#running.values()].map((b) => b.stop()));
    this.#running.clear();
  }
}
