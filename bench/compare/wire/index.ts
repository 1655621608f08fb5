/**
 * Picks a system's raw protocol. Mycelium's is loaded on demand so that the peers can be measured
 * from a tree whose protocol module does not load.
 */
import type { SystemId } from '../types.ts';
import { natsWire } from './nats.ts';
import { redisWire } from './redis.ts';
import type { Wire } from './types.ts';

/** The raw protocol spoken to `system`. */
export async function loadWire(system: SystemId): Promise<Wire> {
  if (system === 'nats') return natsWire;
  if (system === 'redis') return redisWire;
  const { myceliumWire } = await import('./mycelium.ts');
  return myceliumWire;
}
