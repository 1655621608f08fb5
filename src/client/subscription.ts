import { EventEmitter } from 'node:events';
import { MyceliumError } from '../errors.ts';
import { type AckTarget, Delivery, type Message } from './message.ts';

/** Where a subscription starts (fanout topics; queue topics always take the next waiting message). */
export type StartPosition =
  /** Only messages accepted after subscribing (the default). */
  | { readonly kind: 'new' }
  /** Replay from this seq on, as far as the topic's buffer still holds it. */
  | { readonly kind: 'seq'; readonly seq: number }
  /** Replay the last `count` messages the topic's buffer holds. */
  | { readonly kind: 'last'; readonly count: number };

/** Options of `client.subscribe()`. */
export interface SubscribeOptions {
  /** Where to start (default `{ kind: 'new' }`). */
  start?: StartPosition;
  /**
   * Called synchronously for each message, in seq order. With a callback the subscription is not
   * iterable. A throw is reported as the client's 'error' event (or rethrown if nobody listens).
   */
  callback?: (msg: Message) => void;
}

/** Messages `fromSeq .. fromSeq + count - 1` were skipped: the subscriber lagged past the buffer. */
export interface LaggedInfo {
  readonly fromSeq: number;
  readonly count: number;
}

/** Events of a subscription. */
export interface SubscriptionEvents {
  lagged: [info: LaggedInfo];
  /** The server ended the subscription (e.g. TOPIC_DELETED); also thrown by the iterator. */
  error: [error: MyceliumError];
}

/** What a subscription needs from its client. */
export interface SubscriptionOwner {
  /** The generation of the live connection (0 while disconnected). */
  readonly generation: number;
  sendAck(sid: number, seq: number): void;
  sendUnsubscribe(sub: Subscription): Promise<void>;
  callbackFailed(error: unknown): void;
}

const noop = (): void => {};
const START_NEW: StartPosition = Object.freeze({ kind: 'new' });
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
/** Compact the iterator queue once this many consumed slots sit at its head. */
const QUEUE_COMPACT_AT = 1024;

/**
 * A subscription to one topic: an async iterable of messages, or a callback. It survives
 * reconnects: a fanout subscription resumes at the seq after the last one it saw.
 */
export class Subscription extends EventEmitter<SubscriptionEvents> implements AckTarget {
  /** The subscription id on the wire (chosen by the client, unique within it). */
  readonly sid: number;
  readonly topic: string;
  /** Resolves when the server confirmed the subscription (SUB_ACK); rejects with its ERR. */
  readonly ready: Promise<void>;
  /** Messages handed to this subscription so far. */
  received = 0;

  readonly #owner: SubscriptionOwner;
  readonly #start: StartPosition;
  readonly #callback: ((msg: Message) => void) | undefined;
  #resolveReady: () => void = noop;
  #rejectReady: (error: MyceliumError) => void = noop;
  /** The seq to resume from after a reconnect; 0 until the server has said where we are. */
  #nextSeq = 0;
  /** False once the server refused a resume point: a queue topic, which cannot replay. */
  #replays = true;
  /** True while the last SUB sent carries a resume point the client chose (not the caller). */
  #resumeSent = false;
  #queue: Message[] = [];
  #head = 0;
  #waiter: { resolve(r: IteratorResult<Message>): void; reject(e: unknown): void } | null = null;
  #ended = false;
  #endError: MyceliumError | undefined;
  #unsubscribing: Promise<void> | null = null;

  /** @internal created by `Client.subscribe`. */
  constructor(owner: SubscriptionOwner, sid: number, topic: string, options: SubscribeOptions) {
    super();
    this.#owner = owner;
    this.sid = sid;
    this.topic = topic;
    this.#start = options.start ?? { kind: 'new' };
    this.#callback = options.callback;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // A caller that never looks at `ready` must not get an unhandled rejection from it.
    this.ready.catch(noop);
  }

  /** Messages waiting to be taken by the iterator. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** True once the subscription is over (unsubscribed, closed, or ended by the server). */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Where the next SUB for this subscription starts: where it left off, if it was live (fanout);
   * a queue subscription simply takes the next waiting message.
   */
  get resumePosition(): StartPosition {
    if (!this.#replays) return START_NEW;
    return this.#nextSeq > 0 ? { kind: 'seq', seq: this.#nextSeq } : this.#start;
  }

  /** @internal The position for the SUB about to be sent, remembering whether it is a resume. */
  subscribePosition(): StartPosition {
    this.#resumeSent = this.#replays && this.#nextSeq > 0;
    return this.resumePosition;
  }

  /**
   * @internal The server refused the SUB as INVALID_ARGUMENT. When it carried a resume point,
   * the topic is a queue topic, whose SUBs must start 'new' (docs/protocol.md §6.2.3): returns
   * true, and later SUBs start 'new'. SUB_ACK does not say a topic's routing, so the client
   * learns it this way, at the cost of one round trip on the first reconnect.
   */
  cannotResume(): boolean {
    if (!this.#resumeSent) return false;
    this.#resumeSent = false;
    this.#replays = false;
    return true;
  }

  /**
   * Ends the subscription. Messages the server sent before it confirmed (UNSUB_ACK) are still
   * delivered (docs/protocol.md §6.2.5), and queued ones can still be iterated; then the iterator
   * finishes. Resolves once the server confirmed (at once while disconnected). Unacked queue
   * deliveries go back to the topic; `ack()` on them does nothing any more.
   */
  unsubscribe(): Promise<void> {
    if (this.#unsubscribing !== null) return this.#unsubscribing;
    if (this.#ended) return Promise.resolve();
    this.#unsubscribing = this.#owner.sendUnsubscribe(this).finally(() => this.end(undefined));
    return this.#unsubscribing;
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    if (this.#callback !== undefined) {
      throw new MyceliumError('INVALID_ARGUMENT', 'a subscription with a callback is not iterable');
    }
    return {
      next: () => this.#next(),
      return: () => {
        this.unsubscribe().catch(noop);
        return Promise.resolve(DONE);
      },
    };
  }

  /** @internal SUB_ACK: `nextSeq` is the seq of the first message this subscription may get. */
  subscribed(nextSeq: number): void {
    this.#nextSeq = nextSeq;
    this.#resolveReady();
  }

  /** @internal One MSG frame for this subscription. */
  deliver(seq: number, data: Uint8Array, redelivered: boolean, deliveryCount: number): void {
    if (this.#ended) return;
    if (seq >= this.#nextSeq) this.#nextSeq = seq + 1;
    this.received++;
    const msg = new Delivery(this, this.#owner.generation, this.topic, seq, data, redelivered, deliveryCount);
    const callback = this.#callback;
    if (callback !== undefined) {
      try {
        callback(msg);
      } catch (err) {
        this.#owner.callbackFailed(err);
      }
      return;
    }
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.resolve({ done: false, value: msg });
    } else this.#queue.push(msg);
  }

  /** @internal LAGGED: the server skipped messages this subscription could not keep up with. */
  lagged(fromSeq: number, count: number): void {
    const next = fromSeq + count;
    if (next > this.#nextSeq) this.#nextSeq = next;
    this.emit('lagged', { fromSeq, count });
  }

  /** @internal The subscription is over; `error` says why when the server ended it. */
  end(error: MyceliumError | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#endError = error;
    if (error !== undefined) {
      this.#rejectReady(error);
      if (this.listenerCount('error') > 0) this.emit('error', error);
    } else this.#rejectReady(new MyceliumError('CONNECTION_CLOSED', 'the subscription ended before SUB_ACK'));
    const waiter = this.#waiter;
    if (waiter === null) return;
    this.#waiter = null;
    if (error !== undefined) {
      this.#endError = undefined;
      waiter.reject(error);
    } else waiter.resolve(DONE);
  }

  /** @internal Message.ack() lands here. */
  ackDelivery(seq: number, generation: number): void {
    if (generation === this.#owner.generation && !this.#ended) this.#owner.sendAck(this.sid, seq);
  }

  #next(): Promise<IteratorResult<Message>> {
    if (this.#head < this.#queue.length) {
      const msg = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as Message;
      if (this.#head >= QUEUE_COMPACT_AT && this.#head * 2 >= this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ done: false, value: msg });
    }
    if (this.#ended) {
      const error = this.#endError;
      if (error === undefined) return Promise.resolve(DONE);
      // The error is thrown once; afterwards the iterator is simply done.
      this.#endError = undefined;
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }
}

/**
 * Checks a start position given to `subscribe`.
 * @throws MyceliumError INVALID_ARGUMENT
 */
export function checkStart(start: StartPosition | undefined): void {
  if (start === undefined || start.kind === 'new') return;
  const value = start.kind === 'seq' ? start.seq : start.kind === 'last' ? start.count : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new MyceliumError(
      'INVALID_ARGUMENT',
      `start must be {kind:'new'}, {kind:'seq', seq} or {kind:'last', count} with a non-negative integer`,
    );
  }
}
