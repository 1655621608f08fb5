/** Starting the Node floor (floor-relay.ts) for the raw latency rows: its own process, on TCP. */
import { join } from 'node:path';
import { ROOT } from './mycelium-broker.ts';
import { type Broker, freePort, spawnBroker } from './peers.ts';
import type { Endpoint } from './types.ts';

const RELAY = join(ROOT, 'bench/compare/floor-relay.ts');

/** Starts the floor relay on a free loopback port. */
export async function startFloor(dir: string, tag: string): Promise<Broker> {
  const port = await freePort();
  const endpoint: Endpoint = { kind: 'tcp', host: '127.0.0.1', port };
  return spawnBroker(
    'floor',
    process.execPath,
    ['--import', 'tsx', RELAY, String(port)],
    { 'node-floor': endpoint },
    join(dir, `${tag}.log`),
    ROOT,
  );
}
