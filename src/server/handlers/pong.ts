/** PONG (docs/protocol.md §3.7): the peer answered our PING; its missed-heartbeat count restarts. */
import type { Connection } from '../connection.ts';

export function handlePong(c: Connection): void {
  c.pongReceived();
}
