/**
 * A1 and A2: nobody gets in without the token, and nothing is processed before the handshake.
 * A1 is the token dimension of the credential matrix (our handshake carries a name and a token; the
 * name is not a credential, so it varies alongside to show it cannot help). A2 sends every op byte
 * before HELLO, alone and pipelined with a valid HELLO, and pipelines frames behind a HELLO that
 * fails authentication.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import {
  encodeAck,
  encodeErr,
  encodeHello,
  encodeLagged,
  encodeMsg,
  encodePing,
  encodePong,
  encodePub,
  encodePubAck,
  encodeSub,
  encodeSubAck,
  encodeUnsub,
  encodeUnsubAck,
  encodeWelcome,
} from '../../src/protocol/index.ts';
import { startInProcess } from './helpers/in-process.ts';
import { record, recordEq } from './helpers/results.ts';
import { codeName, guard, type Target } from './helpers/wire-client.ts';

const TOKEN = 'Sup3r-Secret_t0ken';

/** Writes `bytes` in one write and resolves with everything the server sent until it closed (or 2 s of silence after a WELCOME). */
function exchange(target: Target, bytes: Buffer): Promise<Buffer> {
  return guard(
    new Promise<Buffer>((resolve) => {
      const socket = 'path' in target ? connect(target.path) : connect(target.port, target.host);
      const parts: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      socket.on('connect', () => socket.write(bytes));
      socket.on('data', (d: Buffer) => {
        parts.push(d);
        // An accepted handshake keeps the connection open: stop listening shortly after WELCOME.
        if (parts[0]![4] === 0x02 && timer === undefined) {
          timer = setTimeout(() => socket.destroy(), 300);
        }
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(parts));
      });
    }),
    30_000,
    'the server answers and closes',
  );
}

/** A HELLO laid out by hand, so tokens over the protocol limit can be sent. */
function rawHello(name: Buffer, token: Buffer | undefined): Buffer {
  const tokenPart = token === undefined ? Buffer.alloc(0) : Buffer.concat([u16(token.length), token]);
  const body = Buffer.concat([Buffer.from([0x01, 1, 0]), u16(name.length), name, tokenPart]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

const NAMES: Record<string, Buffer> = {
  valid: Buffer.from('svc'),
  unknown: Buffer.from('not-a-user'),
  empty: Buffer.alloc(0),
  long: Buffer.alloc(256, 0x61),
  'NUL/CR/LF': Buffer.from('s\u0000v\r\nc'),
  'case variant': Buffer.from('SVC'),
  'other user': Buffer.from('admin'),
};

/** Token variants: the expected outcome is WELCOME only for `valid`. */
const TOKENS: Record<
  string,
  { token: Buffer | undefined; expect: 'WELCOME' | 'AUTH_FAILED' | 'MALFORMED_FRAME' }
> = {
  valid: { token: Buffer.from(TOKEN), expect: 'WELCOME' },
  wrong: { token: Buffer.from('Sup3r-Secret_t0kem'), expect: 'AUTH_FAILED' },
  empty: { token: Buffer.alloc(0), expect: 'AUTH_FAILED' },
  missing: { token: undefined, expect: 'MALFORMED_FRAME' },
  prefix: { token: Buffer.from(TOKEN.slice(0, -1)), expect: 'AUTH_FAILED' },
  suffix: { token: Buffer.from(`${TOKEN}x`), expect: 'AUTH_FAILED' },
  'case variant': { token: Buffer.from(TOKEN.toUpperCase()), expect: 'AUTH_FAILED' },
  'NUL appended': { token: Buffer.from(`${TOKEN}\u0000`), expect: 'AUTH_FAILED' },
  'CR appended': { token: Buffer.from(`${TOKEN}\r`), expect: 'AUTH_FAILED' },
  'LF appended': { token: Buffer.from(`${TOKEN}\n`), expect: 'AUTH_FAILED' },
  'NUL inside': { token: Buffer.from(`${TOKEN.slice(0, 5)}\u0000${TOKEN.slice(5)}`), expect: 'AUTH_FAILED' },
  '1 KiB': { token: Buffer.alloc(1024, 0x61), expect: 'AUTH_FAILED' },
  '64 KiB': { token: Buffer.alloc(65535, 0x61), expect: 'MALFORMED_FRAME' },
};

/** What a reply starts with: WELCOME, or the ERR's code name. */
function outcome(reply: Buffer): string {
  if (reply.length < 5) return 'nothing';
  if (reply[4] === 0x02) return 'WELCOME';
  if (reply[4] === 0x35) {
    return String(codeName(reply.readUInt16BE(5)));
  }
  return `op ${reply[4]}`;
}

describe('A1: the token matrix (TCP with auth_token set)', () => {
  test('only the exact token is accepted; every refusal is the same AUTH_FAILED frame', async () => {
    const h = await startInProcess({ server: { auth_token: TOKEN } });
    try {
      let unexpectedAccepts = 0;
      let mismatched = 0;
      const authFrames = new Set<string>();
      const cases: string[] = [];
      for (const [nameKind, name] of Object.entries(NAMES)) {
        await Promise.all(
          Object.entries(TOKENS).map(async ([tokenKind, t]) => {
            const reply = await exchange(h.tcp, rawHello(name, t.token));
            const got = outcome(reply);
            if (got === 'WELCOME' && t.expect !== 'WELCOME') unexpectedAccepts++;
            if (got !== t.expect) {
              mismatched++;
              cases.push(`${nameKind} x ${tokenKind}: ${got}`);
            }
            if (got === 'AUTH_FAILED') authFrames.add(reply.toString('hex'));
          }),
        );
      }
      const combos = Object.keys(NAMES).length * Object.keys(TOKENS).length;
      const okAccepts = recordEq('A1', `unexpected accepts (${combos} combinations)`, unexpectedAccepts, 0);
      const okOutcomes = recordEq('A1', 'outcomes differing from the expected one', mismatched, 0);
      const okFrames = recordEq(
        'A1',
        'distinct AUTH_FAILED frames (byte for byte)',
        authFrames.size,
        1,
        'frames',
      );
      assert.ok(okAccepts, 'no unexpected accept');
      assert.ok(okOutcomes, cases.join('; '));
      assert.ok(okFrames, `AUTH_FAILED frames differ: ${[...authFrames].join(' / ')}`);
      assert.equal(h.server.connections.count, 0, 'every refused connection was closed');
    } finally {
      await h.stop();
    }
  });
});

/** One frame of each op byte 0..255 except HELLO: a well-formed body where the op has a layout. */
function frameForOp(op: number): Buffer {
  const layouts: Record<number, () => Buffer> = {
    2: () => encodeWelcome(1024, 1000, 'x'),
    16: () => encodePub('a', Buffer.from('sneaky'), 1),
    17: () => encodeSub(1, 'a'),
    18: () => encodeUnsub(1),
    19: () => encodeAck(1, 1),
    32: () => encodePing(),
    33: () => encodePong(),
    48: () => encodeMsg(1, 1, Buffer.from('x')),
    49: () => encodeSubAck(1, 1),
    50: () => encodeUnsubAck(1),
    51: () => encodePubAck(1, 1),
    52: () => encodeLagged(1, 1, 1),
    53: () => encodeErr(200, 0, 0, 'x'),
  };
  return layouts[op]?.() ?? Buffer.from([0, 0, 0, 1, op]);
}

describe('A2: nothing before the handshake', () => {
  test('every op byte before HELLO, alone or pipelined with a valid HELLO: closed, 0 subscriptions, 0 messages routed', async () => {
    const h = await startInProcess({
      server: { auth_token: TOKEN },
      topics: [{ name: 'a' }, { name: 'q', routing: 'Queue' }],
    });
    try {
      let sent = 0;
      let closed = 0;
      let welcomed = 0;
      const reasons = new Map<string, number>();
      const ops = Array.from({ length: 256 }, (_, i) => i).filter((op) => op !== 0x01);
      const hello = encodeHello('late', TOKEN);
      const variants: Buffer[] = [];
      for (const op of ops) {
        variants.push(frameForOp(op));
        variants.push(
          Buffer.concat([frameForOp(op), hello, encodeSub(2, 'a'), encodePub('a', Buffer.from('x'), 2)]),
        );
      }
      // Frames pipelined behind a HELLO that fails authentication (TCP: the token is checked
      // there) are discarded, never handled.
      const intruder = Buffer.concat([
        encodeHello('intruder', 'wrong'),
        encodeSub(1, 'a'),
        encodeSub(2, 'q'),
        encodePub('a', Buffer.from('x'), 1),
      ]);
      for (let i = 0; i < variants.length; i += 32) {
        await Promise.all(
          variants.slice(i, i + 32).map(async (bytes, j) => {
            sent++;
            const reply = await exchange(h.target(i + j), bytes);
            if (outcome(reply) === 'WELCOME') welcomed++;
            closed++;
            const code = outcome(reply);
            reasons.set(code, (reasons.get(code) ?? 0) + 1);
          }),
        );
      }
      sent++;
      const intruderReply = await exchange(h.tcp, intruder);
      if (outcome(intruderReply) === 'WELCOME') welcomed++;
      closed++;
      reasons.set(outcome(intruderReply), (reasons.get(outcome(intruderReply)) ?? 0) + 1);
      const a = h.server.broker.topicStats('a');
      const q = h.server.broker.topicStats('q');
      const okSubs = recordEq('A2', 'subscriptions created', a.subscribers + q.subscribers, 0);
      const okRouted = recordEq('A2', 'messages routed', a.published + q.published, 0);
      const okWelcome = recordEq('A2', 'handshakes completed', welcomed, 0);
      const pct = (100 * closed) / sent;
      record({
        id: 'A2',
        figure: `connections closed (${sent} cases)`,
        value: pct,
        unit: '%',
        bar: '= 100',
        pass: closed === sent,
      });
      assert.ok(okSubs && okRouted && okWelcome, JSON.stringify([...reasons]));
      assert.equal(closed, sent);
      assert.equal(h.server.connections.count, 0);
      const allowed = new Set(['HANDSHAKE_REQUIRED', 'UNKNOWN_OP', 'AUTH_FAILED']);
      for (const [code] of reasons) assert.ok(allowed.has(code), `unexpected answer ${code}`);
    } finally {
      await h.stop();
    }
  });
});
