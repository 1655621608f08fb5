/**
 * The per-op length bounds the decoder enforces from a frame's header (docs/protocol.md §3, §5)
 * are exactly the smallest and largest frames the encoders can make: no valid frame is refused
 * early and nothing larger than a valid frame is buffered.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_MAX_FRAME_SIZE,
  encodeErr,
  encodeHello,
  encodeMsg,
  encodePing,
  encodePong,
  encodePub,
  encodeSub,
  encodeWelcome,
  encodeAck,
  encodeLagged,
  encodePubAck,
  encodeSubAck,
  encodeUnsub,
  encodeUnsubAck,
  encodeReload,
  encodeReloadResult,
  FRAME_OVERHEAD,
  MAX_CLIENT_NAME,
  MAX_ERR_TEXT,
  MAX_FRAME_LENGTH_FIELD,
  MAX_FRAME_SIZE_LIMIT,
  MAX_REPORT_TEXT,
  MAX_SERVER_NAME,
  MAX_TOKEN,
  MAX_TOPIC_LENGTH,
  Op,
  OP_LENGTH_BOUNDS,
  type OpName,
  ReloadStatus,
} from '../../src/protocol/index.ts';

/** `length` field of an encoded frame. */
const lengthOf = (frame: Buffer): number => frame.readUInt32BE(0);

const SMALLEST_AND_LARGEST: Record<OpName, readonly [Buffer, Buffer | 'open']> = {
  HELLO: [encodeHello(''), encodeHello('n'.repeat(MAX_CLIENT_NAME), 't'.repeat(MAX_TOKEN))],
  WELCOME: [encodeWelcome(0, 0, ''), encodeWelcome(0, 0, 's'.repeat(MAX_SERVER_NAME))],
  PUB: [encodePub('a', Buffer.alloc(0)), 'open'],
  SUB: [encodeSub(1, 'a'), encodeSub(1, 'a'.repeat(MAX_TOPIC_LENGTH))],
  UNSUB: [encodeUnsub(1), encodeUnsub(1)],
  ACK: [encodeAck(1, 1), encodeAck(1, 1)],
  PING: [encodePing(), encodePing()],
  PONG: [encodePong(), encodePong()],
  MSG: [encodeMsg(1, 1, Buffer.alloc(0)), 'open'],
  SUB_ACK: [encodeSubAck(1, 1), encodeSubAck(1, 1)],
  UNSUB_ACK: [encodeUnsubAck(1), encodeUnsubAck(1)],
  PUBACK: [encodePubAck(1, 1), encodePubAck(1, 1)],
  LAGGED: [encodeLagged(1, 1, 1), encodeLagged(1, 1, 1)],
  ERR: [encodeErr(100, 0, 0, ''), encodeErr(100, 0, 0, 'e'.repeat(MAX_ERR_TEXT))],
  RELOAD: [encodeReload(1), encodeReload(1)],
  RELOAD_RESULT: [
    encodeReloadResult(1, ReloadStatus.Unchanged, 0, ''),
    encodeReloadResult(1, ReloadStatus.Rejected, 303, 'r'.repeat(MAX_REPORT_TEXT)),
  ],
};

describe('limits (docs/protocol.md §5)', () => {
  for (const [name, [smallest, largest]] of Object.entries(SMALLEST_AND_LARGEST)) {
    test(`${name}: the header bounds are the smallest and largest valid frames`, () => {
      const [min, max] = OP_LENGTH_BOUNDS[Op[name as OpName]];
      assert.equal(lengthOf(smallest), min);
      assert.equal(largest === 'open' ? MAX_FRAME_LENGTH_FIELD : lengthOf(largest), max);
    });
  }

  test('the largest HELLO is 1287 bytes long, the most a server buffers before the handshake', () => {
    assert.equal(OP_LENGTH_BOUNDS[Op.HELLO][1], 1287);
  });

  test('the largest RELOAD_RESULT fits the smallest max_frame_size a server may announce (4096)', () => {
    assert.ok(OP_LENGTH_BOUNDS[Op.RELOAD_RESULT][1] <= 4096);
  });

  test('the frame size ceiling is the 64 MiB message limit plus the frame overhead', () => {
    assert.equal(MAX_FRAME_SIZE_LIMIT, 64 * 1024 * 1024 + FRAME_OVERHEAD);
    assert.ok(DEFAULT_MAX_FRAME_SIZE <= MAX_FRAME_SIZE_LIMIT);
  });

  test('a largest-topic PUB header fits well inside the frame overhead', () => {
    const header = encodePub('a'.repeat(MAX_TOPIC_LENGTH), Buffer.alloc(0)).length;
    assert.ok(header <= FRAME_OVERHEAD, `${header}`);
  });
});
