/**
 * SUB (docs/protocol.md §3.4): limits first (duplicate sid, subscriptions per connection), then
 * the broker. SUB_ACK carries the first seq the subscription may get and goes out before any
 * delivery: the broker delivers nothing until `resume`, which runs after SUB_ACK is queued.
 */
import type { StartPosition } from '../../broker/index.ts';
import { MyceliumError } from '../../errors.ts';
import { Op, StartKind, SUB_ACK_FRAME_SIZE, writeSubAck } from '../../protocol/index.ts';
import type { Connection } from '../connection.ts';

const START_NEW: StartPosition = { kind: 'new' };

export function handleSub(
  c: Connection,
  sid: number,
  startKind: StartKind,
  startValue: number,
  buf: Buffer,
  topicStart: number,
  topicLen: number,
): void {
  if (c.subs.has(sid)) {
    c.reply(
      'SUBSCRIPTION_EXISTS',
      Op.SUB,
      sid,
      `subscription id ${sid} is already in use on this connection`,
    );
    return;
  }
  const max = c.ctx.limits.maxSubscriptions;
  if (c.subs.size >= max) {
    c.reply('TOO_MANY_SUBSCRIPTIONS', Op.SUB, sid, `this connection has ${max} subscriptions, the limit`);
    return;
  }
  const topic = buf.toString('latin1', topicStart, topicStart + topicLen);
  const start: StartPosition =
    startKind === StartKind.New
      ? START_NEW
      : startKind === StartKind.FromSeq
        ? { kind: 'seq', seq: startValue }
        : { kind: 'last', count: startValue };
  const broker = c.ctx.broker;
  let result: ReturnType<typeof broker.subscribe>;
  try {
    result = broker.subscribe(c, topic, sid, start);
  } catch (err) {
    if (!(err instanceof MyceliumError)) throw err;
    c.reply(err.code, Op.SUB, sid, err.message);
    return;
  }
  c.subs.set(sid, result.subscription);
  c.ctx.logger.debug({ conn: c.id, sid, topic }, 'subscribed');
  const w = c.writer;
  const at = w.reserve(SUB_ACK_FRAME_SIZE);
  writeSubAck(w.chunk, at, sid, result.nextSeq);
  w.commit(SUB_ACK_FRAME_SIZE);
  broker.resume(result.subscription);
}
