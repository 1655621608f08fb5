/**
 * The D4 model's records: what it believes about each topic, message, subscription and
 * connection. Like RabbitMQ's classic_queue_prop_SUITE, a message is `pending` until its confirm
 * arrives, then `confirmed` (PUBACK: it carries a no-loss promise) or `refused` (ERR: it must never
 * be delivered); a publish whose fate the model cannot know (no confirm asked, or its connection
 * went away first) is `uncertain`: it may be delivered, at most as the topic's rules allow.
 */
import type { ModelClient } from './model-client.ts';

export const TopicKind = { Fanout: 'fanout', Manual: 'manual', None: 'none' } as const;
export type TopicKind = (typeof TopicKind)[keyof typeof TopicKind];

export const MsgStatus = {
  Pending: 'pending',
  Confirmed: 'confirmed',
  Refused: 'refused',
  Uncertain: 'uncertain',
} as const;
export type MsgStatus = (typeof MsgStatus)[keyof typeof MsgStatus];

export const ConnState = {
  Open: 'open',
  /** The model sent FIN: the server must close it as CLIENT_CLOSED. */
  Closing: 'closing',
  /** The model destroyed the socket (RST on TCP). */
  Killed: 'killed',
  /** The socket is closed. */
  Gone: 'gone',
} as const;
export type ConnState = (typeof ConnState)[keyof typeof ConnState];

export class TopicModel {
  buffer: number;
  /** The smallest buffer_size in force during the sequence. */
  minBuffer: number;
  prefetch: number;
  /** The largest prefetch in force during the sequence: a lowered prefetch revokes nothing. */
  maxPrefetch: number;
  /** PUB frames sent to the topic (accepted or not). */
  pubsSent = 0;
  /** Seq -> message id, from PUBACKs and deliveries: one seq, one message. */
  readonly seqToId = new Map<number, number>();
  /** Manual queue: subscriptions that ended (UNSUB, close, kill); each allows one more delivery. */
  endedSubs = 0;
  /** Ack "none" queue: a consumer left while deliveries may have been on their way to it. */
  lossPossible = false;
  /** PUBs sent on connections the model then killed: the server may never have read them. */
  pubsAtRisk = 0;
  /** The highest seq the model has seen accepted (PUBACK or delivery). */
  maxSeqSeen = 0;
  /** The highest next_seq of a SUB_ACK read so far: anything published from now on gets at least it. */
  subAckedNext = 0;

  constructor(
    readonly kind: TopicKind,
    readonly name: string,
    buffer: number,
    prefetch: number,
  ) {
    this.buffer = buffer;
    this.minBuffer = buffer;
    this.prefetch = prefetch;
    this.maxPrefetch = prefetch;
  }

  /**
   * True once the topic may have had to drop or refuse: the ring (fanout) or line (queue) holds
   * buffer_size messages, so with no more publishes than its smallest size it never overflows.
   */
  get mayOverflow(): boolean {
    return this.pubsSent > this.minBuffer;
  }
}

export class Msg {
  status: MsgStatus;
  seq: number | undefined;
  /** Deliveries the model has read. */
  receipts = 0;
  /** Delivery counts seen: each delivery of a message has its own. */
  readonly counts: number[] = [];
  /** Manual queue: the live subscription holding it unacked. */
  holder: Sub | undefined;
  /** Manual queue: the connection the model acked it on. */
  ackedOn: Conn | undefined;
  /** The ACK went out on a connection that was then killed: the server may never have read it. */
  ackUncertain = false;
  /** The smallest seq it may get: a SUB_ACK read before it was sent said the topic was there. */
  readonly minSeq: number;

  constructor(
    readonly id: number,
    readonly topic: TopicModel,
    readonly conn: Conn,
    readonly confirmId: number,
    readonly size: number,
  ) {
    this.status = confirmId === 0 ? MsgStatus.Uncertain : MsgStatus.Pending;
    this.minSeq = topic.subAckedNext;
  }
}

export class Sub {
  subAcked = false;
  /** Fanout: the next seq this subscription must hear about (as MSG or LAGGED start). */
  expect = 0;
  /** The model ended it (UNSUB, close, kill): deliveries already on their way may still arrive. */
  ending = false;
  unsubAcked = false;
  /** Manual queue: deliveries held unacked, by seq. */
  readonly held = new Map<number, Msg>();
  /** The highest seq seen accepted before the SUB was sent: its next_seq must be above it. */
  readonly floor: number;

  constructor(
    readonly sid: number,
    readonly conn: Conn,
    readonly topic: TopicModel,
  ) {
    this.floor = topic.maxSeqSeen;
  }
}

export class Conn {
  state: ConnState = ConnState.Open;
  readonly subs = new Map<number, Sub>();
  nextSid = 0;
  nextConfirm = 0;
  /** Confirmed publishes waiting for their PUBACK or ERR, in confirm_id order. */
  readonly pending = new Map<number, Msg>();
  /** PUBs sent on this connection, by topic. */
  readonly pubs = new Map<TopicModel, number>();
  /** Acks every manual delivery as it arrives (the end of a sequence). */
  draining = false;
  /** The model step at which a frozen connection reads again. */
  thawAt = 0;
  /** Why the server said it closed this connection. */
  serverReason: string | undefined;

  constructor(
    readonly name: string,
    readonly slot: number,
    readonly client: ModelClient,
  ) {}

  get open(): boolean {
    return this.state === ConnState.Open;
  }
}

/** Payload header: the sequence (run) number and the message id, then `id & 0xff` as filler. */
export const PAYLOAD_HEADER = 8;

export function encodePayload(run: number, id: number, size: number): Buffer {
  const out = Buffer.alloc(Math.max(size, PAYLOAD_HEADER), id & 0xff);
  out.writeUInt32BE(run, 0);
  out.writeUInt32BE(id, 4);
  return out;
}

/** The message id a payload carries, or a text saying why it is not one of this run's payloads. */
export function decodePayload(run: number, payload: Buffer): number | string {
  if (payload.length < PAYLOAD_HEADER) return `a ${payload.length}-byte payload no publish sent`;
  const from = payload.readUInt32BE(0);
  const id = payload.readUInt32BE(4);
  if (from !== run) return `a payload of sequence ${from} (this is ${run})`;
  const fill = id & 0xff;
  for (let i = PAYLOAD_HEADER; i < payload.length; i++) {
    if (payload[i] !== fill) return `message ${id} with its payload changed at byte ${i}`;
  }
  return id;
}
