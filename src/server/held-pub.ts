/**
 * The one PUB a connection holds while a block-policy queue topic is full (overflow "block"). The
 * decoder is paused right after it, so there is never more than one; its bytes stay where the
 * decoder put them (it never reuses a buffer it handed out), so holding them copies nothing.
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
    this.topic = topic;
    this.confirmId = confirmId;
    this.buf = buf;
    this.topicStart = ts;
    this.topicLen = tl;
    this.payloadStart = ps;
    this.payloadEnd = pe;
  }

  clear(): void {
    this.topic = null;
    this.buf = null;
  }
}
