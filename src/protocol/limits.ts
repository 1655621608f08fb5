/**
 * Every size and limit of the wire format, each with why it is what it is (docs/protocol.md §5).
 * A frame's `length` counts the op byte and the body, not the 4 length bytes themselves (§1.2).
 */
import { MAX_TOPIC_NAME_LENGTH } from '../limits.ts';
import { Op } from './ops.ts';

export { PROTOCOL_VERSION } from './ops.ts';

/** Bytes of the length prefix: a u32, so one frame can never claim more than 4 GiB - 1. */
export const LENGTH_PREFIX_SIZE = 4;
/** Length prefix + op byte: what a decoder must see before it knows what a frame is. */
export const FRAME_HEADER_SIZE = 5;
/** Frame header + sid u32 + seq u64 + flags u8 + delivery_count u16: fixed so MSG is written in place. */
export const MSG_HEADER_SIZE = 20;
/** Frame header + confirm_id u32 + topic_len u8; the topic and payload follow. */
export const PUB_HEADER_SIZE = 10;
/** Frame header + sid u32 + start_kind u8 + start_value u64 + topic_len u8; the topic follows. */
export const SUB_HEADER_SIZE = 19;

/** Default limit on a frame's length: 8 MiB, the server's default max_frame_size. */
export const DEFAULT_MAX_FRAME_SIZE = 8 * 1024 * 1024;
/** Hard ceiling of max_frame_size: the 64 MiB message limit plus FRAME_OVERHEAD. */
export const MAX_FRAME_SIZE_LIMIT = 64 * 1024 * 1024 + 1024;
/** Room for everything in a frame but the payload: max_frame_size must be >= max_message_size + this. */
export const FRAME_OVERHEAD = 1024;
/** Largest value a u32 length field can hold. */
export const MAX_FRAME_LENGTH_FIELD = 0xffff_ffff;

/** Longest topic name in bytes: topic_len is a u8, and 128 keeps names readable in logs and metrics. */
export const MAX_TOPIC_LENGTH = MAX_TOPIC_NAME_LENGTH;
/** Longest client name in HELLO, in UTF-8 bytes: enough for host:pid:purpose labels. */
export const MAX_CLIENT_NAME = 256;
/** Longest server name in WELCOME, in UTF-8 bytes: the same bound as a client name. */
export const MAX_SERVER_NAME = 256;
/** Longest auth token in HELLO, in bytes: long enough for any bearer token, short enough pre-auth. */
export const MAX_TOKEN = 1024;
/** Longest ERR text, in UTF-8 bytes: a sentence plus a 128-byte topic name, with room to spare. */
export const MAX_ERR_TEXT = 1024;

/**
 * Longest RELOAD_RESULT report text, in UTF-8 bytes: with the frame's fixed fields it stays under
 * 4096, the smallest max_frame_size a server may announce, so the answer always fits. A server
 * cuts a longer report at a line boundary; the whole report is in its log.
 */
export const MAX_REPORT_TEXT = 4000;

/** Largest u64 value (seq, counts) a peer may send: JS numbers are exact only up to 2^53 - 1. */
export const MAX_SAFE_SEQ = Number.MAX_SAFE_INTEGER;
/** Largest subscription id and confirm id: both are u32. */
export const MAX_ID = 0xffff_ffff;
/** Largest delivery_count a MSG can carry (u16); higher counts are sent as this value. */
export const MAX_DELIVERY_COUNT = 0xffff;

/**
 * A partial frame up to this size gets a reassembly buffer of its full size at once; a larger one
 * starts with this much and doubles as bytes arrive, so a peer that declares a big frame and then
 * stalls holds at most about twice what it actually sent.
 */
export const REASSEMBLY_INITIAL_SIZE = 64 * 1024;

/** Fixed frame sizes (length prefix included) of the ops whose layout has no variable part. */
export const PING_FRAME_SIZE = 5;
export const PONG_FRAME_SIZE = 5;
export const UNSUB_FRAME_SIZE = 9;
export const ACK_FRAME_SIZE = 17;
export const SUB_ACK_FRAME_SIZE = 17;
export const UNSUB_ACK_FRAME_SIZE = 9;
export const PUBACK_FRAME_SIZE = 17;
export const LAGGED_FRAME_SIZE = 25;
export const RELOAD_FRAME_SIZE = 9;
/** Frame header + request_id u32 + status u8 + code u16 + text_len u16; the text follows. */
export const RELOAD_RESULT_HEADER_SIZE = 14;

/** Unlimited (but for maxFrameSize) upper bound, for ops whose payload runs to the end. */
const OPEN = MAX_FRAME_LENGTH_FIELD;

/**
 * Smallest and largest `length` (op + body) each op's layout allows (§3). A decoder checks these
 * from the 5 header bytes alone, so a frame that cannot be valid is refused before its body is
 * buffered, and no frame but PUB and MSG can make a decoder hold more than ~1.3 KiB. The HELLO
 * bound (7..1287) is the same in every protocol version, so a server can always read the version
 * byte and answer UNSUPPORTED_VERSION (§2.3).
 */
export const OP_LENGTH_BOUNDS: Readonly<Record<Op, readonly [min: number, max: number]>> = {
  [Op.HELLO]: [7, 7 + MAX_CLIENT_NAME + MAX_TOKEN],
  [Op.WELCOME]: [13, 13 + MAX_SERVER_NAME],
  [Op.PUB]: [PUB_HEADER_SIZE - 4 + 1, OPEN],
  [Op.SUB]: [SUB_HEADER_SIZE - 4 + 1, SUB_HEADER_SIZE - 4 + MAX_TOPIC_LENGTH],
  [Op.UNSUB]: [UNSUB_FRAME_SIZE - 4, UNSUB_FRAME_SIZE - 4],
  [Op.ACK]: [ACK_FRAME_SIZE - 4, ACK_FRAME_SIZE - 4],
  [Op.PING]: [1, 1],
  [Op.PONG]: [1, 1],
  [Op.MSG]: [MSG_HEADER_SIZE - 4, OPEN],
  [Op.SUB_ACK]: [SUB_ACK_FRAME_SIZE - 4, SUB_ACK_FRAME_SIZE - 4],
  [Op.UNSUB_ACK]: [UNSUB_ACK_FRAME_SIZE - 4, UNSUB_ACK_FRAME_SIZE - 4],
  [Op.PUBACK]: [PUBACK_FRAME_SIZE - 4, PUBACK_FRAME_SIZE - 4],
  [Op.LAGGED]: [LAGGED_FRAME_SIZE - 4, LAGGED_FRAME_SIZE - 4],
  [Op.ERR]: [10, 10 + MAX_ERR_TEXT],
  [Op.RELOAD]: [RELOAD_FRAME_SIZE - 4, RELOAD_FRAME_SIZE - 4],
  [Op.RELOAD_RESULT]: [RELOAD_RESULT_HEADER_SIZE - 4, RELOAD_RESULT_HEADER_SIZE - 4 + MAX_REPORT_TEXT],
};

/** Bytes of a whole PUB frame with a topic of `topicLen` bytes and `payloadLen` bytes of payload. */
export function pubFrameSize(topicLen: number, payloadLen: number): number {
  return PUB_HEADER_SIZE + topicLen + payloadLen;
}

/** Bytes of a whole MSG frame carrying `payloadLen` bytes of payload. */
export function msgFrameSize(payloadLen: number): number {
  return MSG_HEADER_SIZE + payloadLen;
}

/** Bytes of a whole SUB frame for a topic of `topicLen` bytes. */
export function subFrameSize(topicLen: number): number {
  return SUB_HEADER_SIZE + topicLen;
}
