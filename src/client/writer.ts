import { MyceliumError } from '../errors.ts';
import {
  ACK_FRAME_SIZE,
  encodeSub,
  PUB_HEADER_SIZE,
  StartKind,
  UNSUB_FRAME_SIZE,
  writeAck,
  writePubHeader,
  writeUnsub,
} from '../protocol/index.ts';
import { Confirms } from './confirms.ts';
import { Outbox } from './outbox.ts';
import type { Subscription } from './subscription.ts';
import { TopicCache } from './topic-cache.ts';

/** What `FrameWriter.publish` returns for a publish dropped while disconnected. */
export const DROPPED = null;

/**
 * Everything the client sends, encoded straight into the outbound batch: PUB frames (topic bytes
 * cached, payload copied once, strings encoded in place), ACK, UNSUB and SUB frames; plus the
 * publishes waiting for their confirm.
 */
export class FrameWriter {
  readonly outbox = new Outbox();
  readonly confirms = new Confirms();
  readonly topics = new TopicCache();
  /** Largest frame length (op + body) the server accepts, from its WELCOME. */
  maxFrameSize = 0;
  readonly #bufferBytes: number;

  /** @param bufferBytes bound on frames held while disconnected (reconnectBufferBytes) */
  constructor(bufferBytes: number) {
    this.#bufferBytes = bufferBytes;
  }

  /**
   * Encodes one PUB frame. `parked` says the client is disconnected: the frame then waits in the
   * reconnect buffer, and is refused (DROPPED) when it would not fit there.
   * @returns the confirm's promise, undefined without confirm, or DROPPED
   * @throws MyceliumError INVALID_TOPIC, MESSAGE_TOO_LARGE
   */
  publish(
    topic: string,
    data: Uint8Array | string,
    confirm: boolean,
    parked: boolean,
  ): Promise<number> | undefined | typeof DROPPED {
    const topicBytes = this.topics.get(topic);
    const text = typeof data === 'string';
    const payloadLength = text ? Buffer.byteLength(data) : data.byteLength;
    const frameSize = PUB_HEADER_SIZE + topicBytes.length + payloadLength;
    if (frameSize - 4 > this.maxFrameSize) {
      throw new MyceliumError(
        'MESSAGE_TOO_LARGE',
        `a ${payloadLength}-byte payload makes a frame larger than the server's max_frame_size (${this.maxFrameSize})`,
      );
    }
    const outbox = this.outbox;
    if (parked && outbox.pendingBytes + frameSize > this.#bufferBytes) return DROPPED;
    let confirmId = 0;
    let promise: Promise<number> | undefined;
    if (confirm) ({ id: confirmId, promise } = this.confirms.add(parked));
    const chunk = outbox.reserve(frameSize);
    const at = writePubHeader(chunk, outbox.pos, confirmId, topicBytes, payloadLength);
    if (text) chunk.write(data, at, 'utf8');
    else chunk.set(data, at);
    outbox.commit(frameSize);
    return promise;
  }

  /** ACK sid seq (docs/protocol.md §3.6). */
  ack(sid: number, seq: number): void {
    const outbox = this.outbox;
    const chunk = outbox.reserve(ACK_FRAME_SIZE);
    writeAck(chunk, outbox.pos, sid, seq);
    outbox.commit(ACK_FRAME_SIZE);
  }

  /** UNSUB sid (§3.5). */
  unsubscribe(sid: number): void {
    const outbox = this.outbox;
    const chunk = outbox.reserve(UNSUB_FRAME_SIZE);
    writeUnsub(chunk, outbox.pos, sid);
    outbox.commit(UNSUB_FRAME_SIZE);
  }

  /** The SUB frame (§3.4) for a subscription, starting where it should resume. */
  subFrame(sub: Subscription): Buffer {
    const topic = this.topics.get(sub.topic);
    const start = sub.subscribePosition();
    if (start.kind === 'seq') return encodeSub(sub.sid, topic, StartKind.FromSeq, start.seq);
    if (start.kind === 'last') return encodeSub(sub.sid, topic, StartKind.LastN, start.count);
    return encodeSub(sub.sid, topic, StartKind.New, 0);
  }
}
