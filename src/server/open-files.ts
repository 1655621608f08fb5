/**
 * The open-files limit against max_connections. Past the limit the kernel refuses accept() with
 * EMFILE and libuv closes the pending connection itself: the server never hears of it, so nothing
 * is logged and the client just sees a close. The start-up (and any reload raising
 * max_connections) says so once, up front, instead.
 */
import { readFileSync } from 'node:fs';

/**
 * Descriptors a server uses besides its connections: stdio, the two listeners, the metrics
 * listener, the config file watch, and libuv's own (epoll, its wake-up and signal pipes, the
 * thread pool's), with room to spare.
 */
export const RESERVED_DESCRIPTORS = 32;

/**
 * The soft open-files limit of this process (from /proc/self/limits); undefined where unknown.
 * Node raises its soft limit to the hard one at start, so this is the hard limit in practice.
 */
export function openFilesLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === undefined) return undefined;
  if (soft === 'unlimited') return Number.POSITIVE_INFINITY;
  const n = Number(soft);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The warning to log when `maxConnections` cannot all be open under `limit`, or undefined. */
export function openFilesWarning(maxConnections: number, limit: number | undefined): string | undefined {
  if (limit === undefined || maxConnections + RESERVED_DESCRIPTORS <= limit) return undefined;
  const room = Math.max(0, limit - RESERVED_DESCRIPTORS);
  return (
    `max_connections is ${maxConnections} but the open-files limit is ${limit}: about ${room} ` +
    `connections fit, and the system refuses the rest (EMFILE) before the server sees them, so they ` +
    `are not logged; raise the limit (ulimit -n ${maxConnections + RESERVED_DESCRIPTORS} or more, ` +
    'LimitNOFILE= under systemd) or lower max_connections'
  );
}
