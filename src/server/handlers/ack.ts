/** ACK (docs/protocol.md §3.6): acks one manual-ack queue delivery; errors leave the connection open. */
import { MyceliumError } from '../../errors.ts';
import { Op } from '../../protocol/index.ts';
import type { Connection } from '../connection.ts';

export function handleAck(c: Connection, sid: number, seq: number): void {
  const sub = c.subs.get(sid);
  if (sub === undefined) {
    c.reply('SUBSCRIPTION_NOT_FOUND', Op.ACK, sid, `no subscription ${sid} on this connection`);
    return;
  }
  try {
    c.ctx.broker.ack(sub, seq);
  } catch (err) {
    if (!(err instanceof MyceliumError)) throw err;
    c.reply(err.code, Op.ACK, sid, err.message);
  }
}
