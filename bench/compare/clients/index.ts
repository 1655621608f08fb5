/** Picks a system's own Node client. Each is loaded on demand (a missing one fails only its rows). */
import type { SystemId } from '../types.ts';
import type { ClientAdapter } from './types.ts';

/** The client adapter for `system`. */
export async function loadClient(system: SystemId): Promise<ClientAdapter> {
  if (system === 'nats') return (await import('./nats.ts')).natsClient;
  if (system === 'redis') return (await import('./redis.ts')).redisClient;
  return (await import('./mycelium.ts')).myceliumClient;
}
