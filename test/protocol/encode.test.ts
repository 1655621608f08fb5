/**
 * Encoders refuse arguments the layout cannot carry (as a table), and the hot-path writers write
 * exactly what the checking encoders do (docs/protocol.md §3).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeAll,
  encodeAck,
  encodeErr,
  encodeHello,
  encodeLagged,
  encodeMsg,
  encodePing,
  encodePong,
  encodePub,
  encodePubAck,
  encodeReload,
  encodeReloadResult,
  encodeSub,
  encodeSubAck,
  encodeUnsub,
  encodeUnsubAck,
  encodeWelcome,
  MAX_DELIVERY_COUNT,
  MAX_ERR_TEXT,
  MSG_HEADER_SIZE,
  msgFrameSize,
  MAX_REPORT_TEXT,
  PUB_HEADER_SIZE,
  pubFrameSize,
  ReloadStatus,
  StartKind,
  subFrameSize,
  writeAck,
  writeLagged,
  writeMsgHeader,
  writeMsgHeaderView,
  writePing,
  writePong,
  writePubAck,
  writePubHeader,
  writeSubAck,
  writeUnsub,
  writeUnsubAck,
} from '../../src/protocol/index.ts';

const SAFE = Number.MAX_SAFE_INTEGER;

const REFUSED: ReadonlyArray<readonly [string, () => unknown, string]> = [
  ['a client name over 256 UTF-8 bytes', () => encodeHello('é'.repeat(129)), 'INVALID_ARGUMENT'],
  ['a token over 1024 bytes', () => encodeHello('c', 't'.repeat(1025)), 'INVALID_ARGUMENT'],
  ['a version over 255', () => encodeHello('c', '', 256), 'INVALID_ARGUMENT'],
  ['a server name over 256 bytes', () => encodeWelcome(1, 1, 's'.repeat(257)), 'INVALID_ARGUMENT'],
  ['a negative max frame size', () => encodeWelcome(-1, 1, 's'), 'INVALID_ARGUMENT'],
  ['a PUB to an empty topic', () => encodePub('', Buffer.alloc(0)), 'INVALID_TOPIC'],
  ['a PUB to a topic with a space', () => encodePub('a b', Buffer.alloc(0)), 'INVALID_TOPIC'],
  ['a PUB to a wildcard topic', () => encodePub('a.*', Buffer.alloc(0)), 'INVALID_TOPIC'],
  ['a PUB to a non-ASCII topic', () => encodePub('café', Buffer.alloc(0)), 'INVALID_TOPIC'],
  ['a PUB to a 129-byte topic', () => encodePub('a'.repeat(129), Buffer.alloc(0)), 'INVALID_TOPIC'],
  ['a PUB to bad topic bytes', () => encodePub(Buffer.from('a..b'), Buffer.alloc(0)), 'INVALID_TOPIC'],
  ['a confirm id of 2^32', () => encodePub('a', Buffer.alloc(0), 2 ** 32), 'INVALID_ARGUMENT'],
  ['a negative confirm id', () => encodePub('a', Buffer.alloc(0), -1), 'INVALID_ARGUMENT'],
  ['sid 0 in SUB', () => encodeSub(0, 'a'), 'INVALID_ARGUMENT'],
  ['sid 2^32 in SUB', () => encodeSub(2 ** 32, 'a'), 'INVALID_ARGUMENT'],
  ['start kind 3', () => encodeSub(1, 'a', 3 as StartKind), 'INVALID_ARGUMENT'],
  ['a start value with start kind New', () => encodeSub(1, 'a', StartKind.New, 1), 'INVALID_ARGUMENT'],
  ['a start value of 2^53', () => encodeSub(1, 'a', StartKind.FromSeq, SAFE + 1), 'INVALID_ARGUMENT'],
  ['a SUB to a bad topic', () => encodeSub(1, '.a'), 'INVALID_TOPIC'],
  ['sid 0 in UNSUB', () => encodeUnsub(0), 'INVALID_ARGUMENT'],
  ['a fractional sid', () => encodeUnsub(1.5), 'INVALID_ARGUMENT'],
  ['seq 2^53 in ACK', () => encodeAck(1, SAFE + 1), 'INVALID_ARGUMENT'],
  ['a negative seq in ACK', () => encodeAck(1, -1), 'INVALID_ARGUMENT'],
  ['sid 0 in MSG', () => encodeMsg(0, 1, Buffer.alloc(0)), 'INVALID_ARGUMENT'],
  ['an undefined MSG flag', () => encodeMsg(1, 1, Buffer.alloc(0), 2), 'INVALID_ARGUMENT'],
  ['seq 2^53 in SUB_ACK', () => encodeSubAck(1, SAFE + 1), 'INVALID_ARGUMENT'],
  ['sid 0 in UNSUB_ACK', () => encodeUnsubAck(0), 'INVALID_ARGUMENT'],
  ['confirm id 0 in PUBACK', () => encodePubAck(0, 1), 'INVALID_ARGUMENT'],
  ['a count of 2^53 in LAGGED', () => encodeLagged(1, 1, SAFE + 1), 'INVALID_ARGUMENT'],
  ['an ERR code over 65535', () => encodeErr(65536, 0, 0, ''), 'INVALID_ARGUMENT'],
  ['an ERR ref_op over 255', () => encodeErr('INVALID_TOPIC', 256, 0, ''), 'INVALID_ARGUMENT'],
  ['a RELOAD request id of 2^32', () => encodeReload(2 ** 32), 'INVALID_ARGUMENT'],
  ['a negative RELOAD request id', () => encodeReload(-1), 'INVALID_ARGUMENT'],
  ['a RELOAD_RESULT status of 3', () => encodeReloadResult(1, 3 as ReloadStatus, 0, ''), 'INVALID_ARGUMENT'],
  [
    'a rejected RELOAD_RESULT without a code',
    () => encodeReloadResult(1, ReloadStatus.Rejected, 0, ''),
    'INVALID_ARGUMENT',
  ],
  [
    'an applied RELOAD_RESULT with a code',
    () => encodeReloadResult(1, ReloadStatus.Applied, 'CONFIG_INVALID', ''),
    'INVALID_ARGUMENT',
  ],
  [
    'a RELOAD_RESULT text over MAX_REPORT_TEXT bytes',
    () => encodeReloadResult(1, ReloadStatus.Applied, 0, 'é'.repeat(MAX_REPORT_TEXT / 2 + 1)),
    'INVALID_ARGUMENT',
  ],
];

describe('encoders refuse what the layout cannot carry', () => {
  for (const [what, call, code] of REFUSED) {
    test(`refuses ${what} with ${code}`, () => {
      assert.throws(call, { name: 'MyceliumError', code });
    });
  }
});

describe('encoders at the edges', () => {
  test('a 256-byte UTF-8 client name is accepted', () => {
    const [hello] = decodeAll(encodeHello('é'.repeat(128)), 'server');
    assert.equal(hello?.op === 'HELLO' && hello.name, 'é'.repeat(128));
  });

  test('ERR text over 1024 bytes is cut at a character boundary, never failing', () => {
    const text = `${'a'.repeat(1023)}é and more`;
    const [err] = decodeAll(encodeErr('PROTOCOL_ERROR', 0, 0, text), 'client');
    assert.equal(err?.op === 'ERR' && err.text, 'a'.repeat(1023));
    const exact = 'b'.repeat(MAX_ERR_TEXT);
    const [whole] = decodeAll(encodeErr('PROTOCOL_ERROR', 0, 0, exact), 'client');
    assert.equal(whole?.op === 'ERR' && whole.text, exact);
  });

  test('ERR takes a catalog code or a wire number', () => {
    assert.deepEqual(encodeErr('QUEUE_FULL', 0x10, 3, 'x'), encodeErr(204, 0x10, 3, 'x'));
  });

  test('a delivery count over 65535 is sent as 65535', () => {
    const [msg] = decodeAll(encodeMsg(1, 1, Buffer.alloc(0), 0, 70000), 'client');
    assert.equal(msg?.op === 'MSG' && msg.deliveryCount, MAX_DELIVERY_COUNT);
  });

  test('u64 fields carry every value up to 2^53-1 exactly', () => {
    for (const seq of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52 + 3, SAFE]) {
      assert.deepEqual(decodeAll(encodePubAck(1, seq), 'client'), [{ op: 'PUBACK', confirmId: 1, seq }]);
    }
  });

  test('size helpers match what the encoders produce', () => {
    assert.equal(encodePub('abc', Buffer.alloc(17)).length, pubFrameSize(3, 17));
    assert.equal(encodeMsg(1, 1, Buffer.alloc(17)).length, msgFrameSize(17));
    assert.equal(encodeSub(1, 'abc').length, subFrameSize(3));
    assert.equal(pubFrameSize(0, 0), PUB_HEADER_SIZE);
    assert.equal(msgFrameSize(0), MSG_HEADER_SIZE);
  });
});

describe('hot-path writers write what the encoders do, at any offset', () => {
  const at = 3;
  function written(size: number, write: (b: Buffer, o: number) => number): Buffer {
    const target = Buffer.alloc(at + size + 2, 0xee);
    const end = write(target, at);
    assert.equal(end, at + size, 'returns the offset after what it wrote');
    assert.equal(target[at + size], 0xee, 'writes nothing past the frame');
    return target.subarray(at, end);
  }

  test('writeMsgHeader plus a copied payload is encodeMsg', () => {
    const payload = Buffer.from('payload');
    const expected = encodeMsg(9, 2 ** 40 + 5, payload, 1, 3);
    const target = Buffer.alloc(at + expected.length);
    const o = writeMsgHeader(target, at, 9, 2 ** 40 + 5, 1, 3, payload.length);
    assert.equal(o, at + MSG_HEADER_SIZE);
    payload.copy(target, o);
    assert.deepEqual(target.subarray(at), expected);
  });

  test('writeMsgHeaderView writes the bytes writeMsgHeader writes, through a DataView', () => {
    const cases: ReadonlyArray<readonly [number, number, number, number, number]> = [
      // sid, seq, flags, delivery count, payload length
      [1, 1, 0, 1, 0],
      [9, 2 ** 40 + 5, 1, 3, 7],
      [0xffff_ffff, 2 ** 53 - 1, 1, 65_535, 1024],
      [77, 2 ** 32, 0, 70_000, 16],
      [5, 2 ** 32 - 1, 0, 2, 64 * 1024 * 1024],
    ];
    for (const [sid, seq, flags, count, length] of cases) {
      const expected = Buffer.alloc(at + MSG_HEADER_SIZE + 2, 0xee);
      writeMsgHeader(expected, at, sid, seq, flags, count, length);
      const host = Buffer.alloc(at + MSG_HEADER_SIZE + 2 + 3, 0xee);
      // A view starting inside its buffer, as a writer's chunk may.
      const view = new DataView(host.buffer, host.byteOffset + 3, host.length - 3);
      assert.equal(writeMsgHeaderView(view, at, sid, seq, flags, count, length), at + MSG_HEADER_SIZE);
      assert.deepEqual(host.subarray(3), expected, `sid ${sid} seq ${seq} count ${count}`);
    }
  });

  test('writePubHeader plus a copied payload is encodePub', () => {
    const payload = Buffer.from('payload');
    const expected = encodePub('orders.eu', payload, 77);
    const target = Buffer.alloc(at + expected.length);
    const o = writePubHeader(target, at, 77, Buffer.from('orders.eu'), payload.length);
    assert.equal(o, at + PUB_HEADER_SIZE + 9);
    payload.copy(target, o);
    assert.deepEqual(target.subarray(at), expected);
  });

  const FIXED: ReadonlyArray<readonly [string, Buffer, (b: Buffer, o: number) => number]> = [
    ['PUBACK', encodePubAck(5, 2 ** 33), (b, o) => writePubAck(b, o, 5, 2 ** 33)],
    ['SUB_ACK', encodeSubAck(5, 11), (b, o) => writeSubAck(b, o, 5, 11)],
    ['UNSUB_ACK', encodeUnsubAck(5), (b, o) => writeUnsubAck(b, o, 5)],
    ['LAGGED', encodeLagged(5, 100, 7), (b, o) => writeLagged(b, o, 5, 100, 7)],
    ['UNSUB', encodeUnsub(5), (b, o) => writeUnsub(b, o, 5)],
    ['ACK', encodeAck(5, SAFE), (b, o) => writeAck(b, o, 5, SAFE)],
    ['PING', encodePing(), writePing],
    ['PONG', encodePong(), writePong],
  ];
  for (const [op, expected, write] of FIXED) {
    test(`the ${op} writer matches its encoder`, () => {
      assert.deepEqual(written(expected.length, write), expected);
    });
  }
});
