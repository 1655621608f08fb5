/**
 * The one PUB a connection holds while a block-policy queue topic is full (overflow "block"). The
 * decoder is paused right after it, so there is never more than one. Its bytes are copied: the
 * buffer the decoder handed them out in is reused for the next read (./shared-reads.ts).
 */
import type { TopicHandle } from '../broker/index.ts';

export class HeldPub {
  /** The topic waited on; null when nothing is held. */
  topic: TopicHandle | null = null;
  confirmId = 0;
  buf: Buffer | null = null;
  topicStart = 0;
  topicLen = 0;
  payloadStart = 0;
  payloadEnd = 0;

  hold(
    topic: TopicHandle,
    confirmId: number,
    buf: Buffer,
    ts: number,
    tl: number,
    ps: number,
    pe: number,
  ): void {
    const from = Math.min(ts, ps);
    const to = Math.max(ts + tl, pe);
    this.topic = topic;
    this.confirmId = confirmId;
    this.buf = Buffer.from(buf.subarray(from, to));
    this.topicStart = ts - from;
    this.topicLen = tl;
    this.payloadStart = ps - from;
    this.payloadEnd = pe - from;
  }

  clear(): void {
    this.topic = null;
    this.buf = null;
  }
}
