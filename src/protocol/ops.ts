/**
 * Op codes, who may send each one, and the protocol version (docs/protocol.md §1.4, §2.3).
 *
 * Op values group by direction so a hex dump reads at a glance: 0x0_ handshake, 0x1_ client
 * requests, 0x2_ either direction, 0x3_ server replies and deliveries, 0x4_ admin requests and
 * their answers (§3.15, §6.8).
 */

/** The one protocol version this code speaks; both HELLO and WELCOME carry it (§2.3). */
export const PROTOCOL_VERSION = 1;

/** Every op code of protocol version 1 (§1.4). */
export const Op = {
  /** Client → server: first frame of a connection (§3.1). */
  HELLO: 0x01,
  /** Server → client: the handshake answer (§3.2). */
  WELCOME: 0x02,
  /** Client → server: publish one message (§3.3). */
  PUB: 0x10,
  /** Client → server: open a subscription (§3.4). */
  SUB: 0x11,
  /** Client → server: close a subscription (§3.5). */
  UNSUB: 0x12,
  /** Client → server: acknowledge a manual-ack queue delivery (§3.6). */
  ACK: 0x13,
  /** Either direction: are you there? (§3.7) */
  PING: 0x20,
  /** Either direction: the answer to PING (§3.7). */
  PONG: 0x21,
  /** Server → client: one delivery (§3.8). */
  MSG: 0x30,
  /** Server → client: a SUB was accepted (§3.9). */
  SUB_ACK: 0x31,
  /** Server → client: an UNSUB was done (§3.10). */
  UNSUB_ACK: 0x32,
  /** Server → client: a confirmed PUB was accepted (§3.11). */
  PUBACK: 0x33,
  /** Server → client: a fanout subscription skipped messages (§3.12). */
  LAGGED: 0x34,
  /** Server → client: an error, possibly answering one frame (§3.13). */
  ERR: 0x35,
  /** Client → server, admin: reload the server's configuration file (§3.15). */
  RELOAD: 0x40,
  /** Server → client, admin: what a RELOAD did (§3.16). */
  RELOAD_RESULT: 0x41,
} as const;
/** One op code. */
export type Op = (typeof Op)[keyof typeof Op];
/** The name of an op, e.g. `'PUB'`. */
export type OpName = keyof typeof Op;

/** Which end of a connection a decoder runs in: it decodes what the *other* end sends. */
export const Side = {
  /** Runs in the server: decodes client → server frames. */
  Server: 'server',
  /** Runs in the client: decodes server → client frames. */
  Client: 'client',
} as const;
export type Side = (typeof Side)[keyof typeof Side];

/** Ops a server accepts, i.e. the ops a client sends (§1.4). */
export const SERVER_ACCEPTS: readonly Op[] = [
  Op.HELLO,
  Op.PUB,
  Op.SUB,
  Op.UNSUB,
  Op.ACK,
  Op.PING,
  Op.PONG,
  Op.RELOAD,
];

/** Ops a client accepts, i.e. the ops a server sends (§1.4). */
export const CLIENT_ACCEPTS: readonly Op[] = [
  Op.WELCOME,
  Op.MSG,
  Op.SUB_ACK,
  Op.UNSUB_ACK,
  Op.PUBACK,
  Op.LAGGED,
  Op.ERR,
  Op.PING,
  Op.PONG,
  Op.RELOAD_RESULT,
];

/** Where a SUB starts reading a fanout topic (§3.4, §6.2). */
export const StartKind = {
  /** Only messages accepted after the SUB; start_value must be 0. */
  New: 0,
  /** Replay from seq start_value on, as far as the topic's buffer still holds it. */
  FromSeq: 1,
  /** Replay the last start_value messages the topic's buffer holds. */
  LastN: 2,
} as const;
export type StartKind = (typeof StartKind)[keyof typeof StartKind];

/** Bits of the MSG flags byte (§3.8); the same values as the broker's DeliveryFlags. */
export const MsgFlags = {
  None: 0,
  /** The message was delivered before to a consumer that went away without acking it. */
  Redelivered: 1,
} as const;

/** What a RELOAD did, the `status` byte of RELOAD_RESULT (§3.16). */
export const ReloadStatus = {
  /** The new configuration was valid and reloadable; its changes are in force. */
  Applied: 0,
  /** The new configuration was valid and the same as the running one: nothing to do. */
  Unchanged: 1,
  /** The new configuration was invalid or not reloadable; the running one was kept untouched. */
  Rejected: 2,
} as const;
export type ReloadStatus = (typeof ReloadStatus)[keyof typeof ReloadStatus];

/** Every defined MSG flag bit; any other bit set is MALFORMED_FRAME (§3.8). */
export const MSG_FLAGS_MASK = MsgFlags.Redelivered;

const NAMES = new Map<number, OpName>((Object.keys(Op) as OpName[]).map((name) => [Op[name], name]));

/** The name of an op code, or undefined for a byte that is no op of this version. */
export function opName(op: number): OpName | undefined {
  return NAMES.get(op);
}

/** Lookup tables (one byte per possible op value) so the decoder checks direction with one load. */
function table(ops: readonly Op[]): Uint8Array {
  const t = new Uint8Array(256);
  for (const op of ops) t[op] = 1;
  return t;
}

/** `ACCEPTS_TABLE[side][op]` is 1 when a decoder on `side` accepts `op`. */
export const ACCEPTS_TABLE: Readonly<Record<Side, Uint8Array>> = {
  server: table(SERVER_ACCEPTS),
  client: table(CLIENT_ACCEPTS),
};

/** True when a decoder running on `side` accepts a frame with op code `op` (§1.4). */
export function accepts(side: Side, op: number): boolean {
  return Number.isInteger(op) && op >= 0 && op <= 0xff && ACCEPTS_TABLE[side][op] === 1;
}
