/**
 * Every op: its encoder writes exactly the layout of docs/protocol.md §3, the decoder reads it
 * back to the same plain object, and encodeFrame of that object gives the same bytes again.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeAll,
  encodeAck,
  encodeErr,
  encodeFrame,
  encodeFrames,
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
  type Frame,
  MsgFlags,
  type OpName,
  ReloadStatus,
  Side,
  StartKind,
} from '../../src/protocol/index.ts';
import { hex } from './helpers.ts';

interface Row {
  readonly frame: Frame;
  /** The encoder a user would call. */
  readonly bytes: Buffer;
  /** The layout, written out by hand from §3. */
  readonly hex: string;
  readonly side: Side;
}

const ROWS: readonly Row[] = [
  {
    frame: { op: 'HELLO', version: 1, name: 'ab', token: Buffer.from('tk') },
    bytes: encodeHello('ab', 'tk'),
    hex: '0000000b|01|01|00|0002|6162|0002|746b',
    side: 'server',
  },
  {
    frame: { op: 'WELCOME', version: 1, maxFrameSize: 8388608, heartbeatIntervalMs: 10000, serverName: 'm' },
    bytes: encodeWelcome(8388608, 10000, 'm'),
    hex: '0000000e|02|01|00|00800000|00002710|0001|6d',
    side: 'client',
  },
  {
    frame: { op: 'PUB', confirmId: 0x01020304, topic: 'a.b', payload: Buffer.from('hi') },
    bytes: encodePub('a.b', Buffer.from('hi'), 0x01020304),
    hex: '0000000b|10|01020304|03|612e62|6869',
    side: 'server',
  },
  {
    frame: { op: 'SUB', sid: 5, startKind: StartKind.FromSeq, startValue: 0x1_0000_0002, topic: 't' },
    bytes: encodeSub(5, 't', StartKind.FromSeq, 0x1_0000_0002),
    hex: '00000010|11|00000005|01|0000000100000002|01|74',
    side: 'server',
  },
  {
    frame: { op: 'UNSUB', sid: 0xffffffff },
    bytes: encodeUnsub(0xffffffff),
    hex: '00000005|12|ffffffff',
    side: 'server',
  },
  {
    frame: { op: 'ACK', sid: 2, seq: Number.MAX_SAFE_INTEGER },
    bytes: encodeAck(2, Number.MAX_SAFE_INTEGER),
    hex: '0000000d|13|00000002|001fffffffffffff',
    side: 'server',
  },
  { frame: { op: 'PING' }, bytes: encodePing(), hex: '00000001|20', side: 'server' },
  { frame: { op: 'PONG' }, bytes: encodePong(), hex: '00000001|21', side: 'client' },
  {
    frame: {
      op: 'MSG',
      sid: 3,
      seq: 9,
      flags: MsgFlags.Redelivered,
      deliveryCount: 2,
      payload: Buffer.from('xyz'),
    },
    bytes: encodeMsg(3, 9, Buffer.from('xyz'), MsgFlags.Redelivered, 2),
    hex: '00000013|30|00000003|0000000000000009|01|0002|78797a',
    side: 'client',
  },
  {
    frame: { op: 'SUB_ACK', sid: 3, nextSeq: 1 },
    bytes: encodeSubAck(3, 1),
    hex: '0000000d|31|00000003|0000000000000001',
    side: 'client',
  },
  {
    frame: { op: 'UNSUB_ACK', sid: 3 },
    bytes: encodeUnsubAck(3),
    hex: '00000005|32|00000003',
    side: 'client',
  },
  {
    frame: { op: 'PUBACK', confirmId: 7, seq: 42 },
    bytes: encodePubAck(7, 42),
    hex: '0000000d|33|00000007|000000000000002a',
    side: 'client',
  },
  {
    frame: { op: 'LAGGED', sid: 3, fromSeq: 10, count: 5 },
    bytes: encodeLagged(3, 10, 5),
    hex: '00000015|34|00000003|000000000000000a|0000000000000005',
    side: 'client',
  },
  {
    frame: { op: 'ERR', code: 200, refOp: 0x10, ref: 7, text: 'no' },
    bytes: encodeErr('TOPIC_NOT_FOUND', 0x10, 7, 'no'),
    hex: '0000000c|35|00c8|10|00000007|0002|6e6f',
    side: 'client',
  },
  {
    frame: { op: 'RELOAD', requestId: 0x0a0b0c0d },
    bytes: encodeReload(0x0a0b0c0d),
    hex: '00000005|40|0a0b0c0d',
    side: 'server',
  },
  {
    frame: { op: 'RELOAD_RESULT', requestId: 1, status: ReloadStatus.Rejected, code: 303, text: 'no' },
    bytes: encodeReloadResult(1, ReloadStatus.Rejected, 'CONFIG_NOT_RELOADABLE', 'no'),
    hex: '0000000c|41|00000001|02|012f|0002|6e6f',
    side: 'client',
  },
];

describe('encode -> decode round trip of every op (docs/protocol.md §3)', () => {
  test('the table covers every op', () => {
    const ops: OpName[] = ['HELLO', 'WELCOME', 'PUB', 'SUB', 'UNSUB', 'ACK', 'PING', 'PONG'];
    ops.push('MSG', 'SUB_ACK', 'UNSUB_ACK', 'PUBACK', 'LAGGED', 'ERR', 'RELOAD', 'RELOAD_RESULT');
    assert.deepEqual(ROWS.map((r) => r.frame.op).sort(), ops.sort());
  });

  for (const row of ROWS) {
    test(`${row.frame.op}: the encoder writes the §3 layout`, () => {
      assert.equal(row.bytes.toString('hex'), hex(row.hex).toString('hex'));
    });
    test(`${row.frame.op}: decoding gives the frame back`, () => {
      assert.deepEqual(decodeAll(row.bytes, row.side), [row.frame]);
    });
    test(`${row.frame.op}: encodeFrame of the decoded frame gives the same bytes`, () => {
      const [decoded] = decodeAll(row.bytes, row.side);
      assert.ok(decoded !== undefined);
      assert.deepEqual(encodeFrame(decoded), row.bytes);
    });
  }

  test('a whole conversation in one buffer decodes in order, on each side', () => {
    for (const side of [Side.Server, Side.Client]) {
      const frames = ROWS.filter((r) => r.side === side || r.frame.op === 'PING' || r.frame.op === 'PONG');
      const bytes = encodeFrames(frames.map((r) => r.frame));
      assert.deepEqual(
        decodeAll(bytes, side, { enforceHandshake: true }),
        frames.map((r) => r.frame),
      );
    }
  });

  test('decodeAll throws the first refused frame as a FrameError', () => {
    const bytes = Buffer.concat([encodePing(), hex('00000001|30')]);
    assert.throws(() => decodeAll(bytes, 'server'), { name: 'FrameError', code: 'UNKNOWN_OP', refOp: 0x30 });
  });

  test('decodeAll throws MALFORMED_FRAME when the input ends inside a frame', () => {
    const bytes = encodePub('a', Buffer.from('payload'));
    assert.throws(() => decodeAll(bytes.subarray(0, bytes.length - 1), 'server'), {
      code: 'MALFORMED_FRAME',
    });
  });

  test('decodeAll throws a non-fatal INVALID_TOPIC too', () => {
    assert.throws(() => decodeAll(hex('00000007|10|00000000|01|2a'), 'server'), { code: 'INVALID_TOPIC' });
  });

  test('the handshake order is checked only when asked', () => {
    const bytes = encodePub('a', Buffer.alloc(0));
    assert.equal(decodeAll(bytes, 'server').length, 1);
    assert.throws(() => decodeAll(bytes, 'server', { enforceHandshake: true }), {
      code: 'HANDSHAKE_REQUIRED',
    });
  });
});
