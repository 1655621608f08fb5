/** One delivered message, as subscriptions hand it out. */
export interface Message {
  /** The topic it was published to. */
  readonly topic: string;
  /** Its sequence number within the topic (from 1, in acceptance order). */
  readonly seq: number;
  /** The payload. The bytes are the message's own: keep them as long as you like. */
  readonly data: Uint8Array;
  /** True when a queue topic delivers it again after a consumer went away without acking. */
  readonly redelivered: boolean;
  /** 1 for a first delivery, 2 and up for redeliveries. */
  readonly deliveryCount: number;
  /**
   * Acknowledges the message (queue topics with ack = "manual"). A no-op once the connection it
   * arrived on is gone: the broker redelivers unacked messages of a lost connection anyway.
   */
  ack(): void;
}

/** Where acks go; implemented by the subscription. */
export interface AckTarget {
  ackDelivery(seq: number, generation: number): void;
}

/**
 * The one object allocated per delivery. Its methods live on the prototype, so no closure is
 * made per message.
 */
export class Delivery implements Message {
  readonly topic: string;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly redelivered: boolean;
  readonly deliveryCount: number;
  readonly #target: AckTarget;
  /** Which connection of the client carried it; an ack is only meaningful on that one. */
  readonly #generation: number;

  constructor(
    target: AckTarget,
    generation: number,
    topic: string,
    seq: number,
    data: Uint8Array,
    redelivered: boolean,
    deliveryCount: number,
  ) {
    this.#target = target;
    this.#generation = generation;
    this.topic = topic;
    this.seq = seq;
    this.data = data;
    this.redelivered = redelivered;
    this.deliveryCount = deliveryCount;
  }

  ack(): void {
    this.#target.ackDelivery(this.seq, this.#generation);
  }
}
