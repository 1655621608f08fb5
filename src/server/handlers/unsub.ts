/** UNSUB (docs/protocol.md §3.5): ends a subscription; a queue's unacked deliveries go to others. */
import { MyceliumError } from '../../errors.ts';
import { Op, UNSUB_ACK_FRAME_SIZE, writeUnsubAck } from '../../protocol/index.ts';
import type { Connection } from '../connection.ts';

export function handleUnsub(c: Connection, sid: number): void {
  const sub = c.subs.get(sid);
  if (sub === undefined) {
    c.reply('SUBSCRIPTION_NOT_FOUND', Op.UNSUB, sid, `no subscription ${sid} on this connection`);
    return;
  }
  c.subs.delete(sid);
  c.ctx.logger.debug({ conn: c.id, sid, topic: sub.topic }, 'unsubscribed');
  try {
    c.ctx.broker.unsubscribe(sub);
  } catch (err) {
    // Ended by the broker meanwhile (e.g. its topic was deleted): it is gone either way.
    if (!(err instanceof MyceliumError) || err.code !== 'SUBSCRIPTION_NOT_FOUND') throw err;
  }
  const w = c.writer;
  const at = w.reserve(UNSUB_ACK_FRAME_SIZE);
  writeUnsubAck(w.chunk, at, sid);
  w.commit(UNSUB_ACK_FRAME_SIZE);
}
