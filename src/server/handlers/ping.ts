/** PING (docs/protocol.md §3.7): answered with PONG, written in place. */
import { PONG_FRAME_SIZE, writePong } from '../../protocol/index.ts';
import type { Connection } from '../connection.ts';

export function handlePing(c: Connection): void {
  const w = c.writer;
  const at = w.reserve(PONG_FRAME_SIZE);
  writePong(w.chunk, at);
  w.commit(PONG_FRAME_SIZE);
}
