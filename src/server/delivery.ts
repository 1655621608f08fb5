/**
 * What the broker's Subscriber calls (docs/protocol.md §3.8, §6.2.6) become on a connection's wire.
 * MSG and LAGGED are written in place in the writer's chunk: this is the hot path, so nothing is
 * allocated per message.
 */
import { EvictReason, type Subscription } from '../broker/index.ts';
import { BYTE_LOOP_MAX, copySmall, rangeView, SMALL_COPY_MAX, viewOf } from '../byte-copy.ts';
import {
  LAGGED_FRAME_SIZE,
  MSG_HEADER_SIZE,
  Op,
  writeLagged,
  writeMsgHeaderView,
} from '../protocol/index.ts';
import { SlowConsumerDetail } from './close-reason.ts';
import type { Connection } from './connection.ts';
import type { OutboundWriter } from './outbound-writer.ts';

/**
 * Queues MSG: the fixed header written in place, then the payload copied once. The payload is
 * usually one seen once (a queued message), so it is not given a DataView (see byte-copy.ts).
 */
export function writeDelivery(
  w: OutboundWriter,
  sid: number,
  seq: number,
  payload: Uint8Array,
  flags: number,
  deliveryCount: number,
): void {
  const n = payload.length;
  const size = MSG_HEADER_SIZE + n;
  const at = w.reserve(size);
  const to = writeMsgHeaderView(w.view, at, sid, seq, flags, deliveryCount, n);
  const chunk = w.chunk;
  if (n <= BYTE_LOOP_MAX) {
    for (let i = 0; i < n; i++) chunk[to + i] = payload[i]!;
  } else {
    chunk.set(payload, to);
  }
  w.commit(size);
}

/**
 * Queues MSG for bytes `start .. end` of `buf` (the shared read buffer, a fanout ring's arena):
 * the header written in place, then the range copied out, through DataViews for payloads up to
 * SMALL_COPY_MAX and through one view per message above it, shared with the ring and the other
 * subscribers (byte-copy.ts `rangeView`).
 */
export function writeDeliveryRange(
  w: OutboundWriter,
  sid: number,
  seq: number,
  buf: Uint8Array,
  start: number,
  end: number,
  flags: number,
  deliveryCount: number,
): void {
  const n = end - start;
  const size = MSG_HEADER_SIZE + n;
  const at = w.reserve(size);
  const to = writeMsgHeaderView(w.view, at, sid, seq, flags, deliveryCount, n);
  if (n <= SMALL_COPY_MAX) {
    copySmall(viewOf(buf), start, w.view, to, n);
  } else {
    w.chunk.set(rangeView(buf, start, n), to);
  }
  w.commit(size);
}

/** Queues LAGGED: `count` messages from `fromSeq` on were dropped before this subscriber got them. */
export function writeLaggedNotice(w: OutboundWriter, sid: number, fromSeq: number, count: number): void {
  const at = w.reserve(LAGGED_FRAME_SIZE);
  writeLagged(w.chunk, at, sid, fromSeq, count);
  w.commit(LAGGED_FRAME_SIZE);
}

/**
 * The broker ended `sub`: a slow consumer under the "disconnect" policy loses its connection; a
 * deleted topic ends only the subscription (§6.2.6), and the connection goes on.
 */
export function subscriptionEvicted(c: Connection, sub: Subscription, reason: EvictReason): void {
  c.subs.delete(sub.sid);
  if (reason === EvictReason.SlowConsumer) {
    const text = `subscription ${sub.sid} fell too far behind on topic "${sub.topic}"`;
    c.fail('SLOW_CONSUMER', text, SlowConsumerDetail.TopicPolicy);
  } else if (c.open) {
    c.ctx.logger.debug({ conn: c.id, sid: sub.sid, topic: sub.topic }, 'subscription ended: topic deleted');
    const text = `topic "${sub.topic}" was deleted; subscription ${sub.sid} ended`;
    c.reply('TOPIC_DELETED', Op.SUB, sub.sid, text);
  }
}
