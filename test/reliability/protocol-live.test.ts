/**
 * P1 and P2 over live sockets: every server-side row of the malformed-frame corpus
 * (test/protocol/cases-*.ts) is sent to a running server over TCP and the Unix socket, whole,
 * byte by byte and cut at every split point. The server must answer exactly the errors its own
 * decoder reports for those bytes (the oracle), close exactly when the oracle's last error is
 * fatal (with that error as the close reason), and keep serving: a canary publisher and
 * subscriber on the side must see no gap, and no close is an INTERNAL_ERROR.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import type { ErrorCode } from '../../src/errors.ts';
import { encodeHello, encodePing, FrameCollector, FrameDecoder } from '../../src/protocol/index.ts';
import { BODY_CASES } from '../protocol/cases-bodies.ts';
import { type BadCase, FRAMING_CASES } from '../protocol/cases-framing.ts';
import { DECODER_ERROR_CODES, hex } from '../protocol/helpers.ts';
import { Canary } from './helpers/canary.ts';
import { startInProcess } from './helpers/in-process.ts';
import { record, recordEq, rng } from './helpers/results.ts';
import { codeName, guard, type Target, until } from './helpers/wire-client.ts';

/** Codes a decoder raises; other ERRs (TOPIC_NOT_FOUND for a corpus PUB...) are replies, not verdicts. */
const DECODER_CODES = new Set<string>(DECODER_ERROR_CODES);
/** Split points per row (default: every one; MYCELIUM_P2_SPLITS samples fewer for a quick run). */
const MAX_SPLITS = Number(process.env.MYCELIUM_P2_SPLITS ?? Number.POSITIVE_INFINITY);
const random = rng();

interface Expected {
  readonly codes: string[];
  readonly fatal: boolean;
  readonly waiting: boolean;
}

/** What the server's decoder reports for `bytes` in a server's context: the oracle. */
function oracle(bytes: Buffer): Expected {
  const collector = new FrameCollector();
  const decoder = new FrameDecoder(collector, { side: 'server', enforceHandshake: true });
  decoder.push(bytes);
  return {
    codes: collector.errors.map((e) => e.code),
    fatal: decoder.stopped,
    waiting: !decoder.stopped && decoder.midFrame,
  };
}

/** Sends `pieces` one write per tick; resolves with the decoder ERR codes seen and whether the server closed. */
function liveFeed(
  target: Target,
  pieces: Buffer[],
  expected: Expected,
): Promise<{ codes: string[]; serverClosed: boolean }> {
  return guard(
    new Promise((resolve) => {
      const socket =
        'path' in target
          ? connect(target.path)
          : connect({ port: target.port, host: target.host, noDelay: true });
      const collector = new FrameCollector();
      const decoder = new FrameDecoder(collector, {
        side: 'client',
        enforceHandshake: false,
        maxFrameSize: 0xffff_ffff,
      });
      let serverClosed = false;
      let pinged = false;
      const done = (): void => {
        const codes = collector.frames
          .map((f) => (f.op === 'ERR' ? String(codeName(f.code)) : ''))
          .filter((c) => DECODER_CODES.has(c));
        resolve({ codes, serverClosed });
      };
      socket.on('error', () => {});
      socket.on('end', () => {
        serverClosed = true;
      });
      socket.on('close', done);
      socket.on('data', (d: Buffer) => {
        decoder.push(d);
        if (pinged && collector.frames.some((f) => f.op === 'PONG')) socket.destroy();
      });
      socket.on('connect', async () => {
        for (const p of pieces) {
          if (socket.destroyed) return;
          socket.write(p);
          await new Promise((r) => setImmediate(r));
        }
        if (expected.fatal) return; // the server closes
        if (expected.waiting) {
          // Mid-frame: nothing more can be asked; the server's close reason (CLIENT_CLOSED) is the check.
          setTimeout(() => socket.destroy(), 20);
          return;
        }
        pinged = true;
        socket.write(encodePing());
      });
    }),
    30_000,
    'a live feed ends',
  );
}

/** Every way to cut `bytes`: whole, byte by byte, and at each split point (sampled in CI). */
function cuts(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [[bytes], Array.from(bytes, (b) => Buffer.from([b]))];
  const points = Array.from({ length: Math.max(0, bytes.length - 1) }, (_, i) => i + 1);
  while (points.length > MAX_SPLITS) points.splice(Math.floor(random() * points.length), 1);
  for (const at of points) out.push([bytes.subarray(0, at), bytes.subarray(at)]);
  return out;
}

const CASES: BadCase[] = [...FRAMING_CASES, ...BODY_CASES].filter(
  (c) => (c.side ?? 'server') === 'server' && c.maxFrameSize === undefined,
);

test(`P1/P2: ${CASES.length} corpus rows sent live, whole, byte by byte and split, over TCP and Unix: the server answers as its decoder`, async () => {
  const h = await startInProcess({
    topics: [{ name: 'a' }, { name: 'canary' }],
    server: { max_connections: 5000 },
  });
  const canary = await Canary.start(h.unix, h.tcp, 'canary');
  try {
    let feeds = 0;
    let divergences = 0;
    let matched = 0;
    const problems: string[] = [];
    for (const c of CASES) {
      const body = hex(c.hex);
      // Rows written for the handshake state (enforceHandshake) or opening with a HELLO are sent
      // as they are; the others are sent after a valid HELLO, where the server decodes them.
      const asIs = c.enforceHandshake === true || (body.length >= 5 && body[4] === 0x01);
      const bytes = asIs ? body : Buffer.concat([encodeHello('p1'), body]);
      const expected = oracle(bytes);
      const reason = expected.fatal ? expected.codes.at(-1)! : 'CLIENT_CLOSED';
      const before = h.closes.length;
      const ways = cuts(bytes);
      const results: { codes: string[]; serverClosed: boolean }[] = [];
      for (let i = 0; i < ways.length; i += 32) {
        const batch = ways
          .slice(i, i + 32)
          .flatMap((pieces) => [h.unix, h.tcp].map((t) => liveFeed(t, pieces, expected)));
        results.push(...(await Promise.all(batch)));
      }
      feeds += results.length;
      await until(
        () => h.closes.length >= before + results.length,
        `${c.rule}: the server reports every close`,
        30_000,
      );
      const reasons = h.closes.slice(before).map((x) => x.reason as string);
      let diverged = 0;
      for (const r of results) {
        const codesOk = JSON.stringify(r.codes) === JSON.stringify(expected.codes);
        if (!codesOk || r.serverClosed !== expected.fatal) diverged++;
      }
      diverged += reasons.filter((r) => r !== reason).length;
      if (diverged > 0) {
        problems.push(
          `${c.rule}: expected ${JSON.stringify(expected.codes)} -> ${reason}; got ${JSON.stringify([...new Set(results.map((r) => `${r.codes}/${r.serverClosed}`))])} ${JSON.stringify([...new Set(reasons)])}`,
        );
      } else matched++;
      divergences += diverged;
      // The corpus's own verdict must be among what the server said (rows listing no error are clean).
      const listed = c.events.filter((e) => e.startsWith('!')).map((e) => e.slice(1) as ErrorCode);
      if (listed.length > 0 && !expected.codes.includes(listed.at(-1)!) && !asIs) {
        problems.push(`${c.rule}: corpus says ${listed.at(-1)}, server context says ${expected.codes}`);
      }
    }
    const gaps = await canary.stop();
    const internal = h.closes.filter((x) => x.reason === 'INTERNAL_ERROR').length;
    const pct = (100 * matched) / CASES.length;
    record({
      id: 'P1',
      figure: `corpus rows matched live (${CASES.length} rows)`,
      value: Number(pct.toFixed(1)),
      unit: '%',
      bar: '= 100',
      pass: matched === CASES.length && CASES.length >= 80,
    });
    const okGaps = recordEq('P1', 'canary pub/sub gaps', gaps.gaps, 0);
    const okInternal = recordEq('P1', 'INTERNAL_ERROR closes (server bugs)', internal, 0);
    record({
      id: 'P2',
      figure: 'live feeds (whole, byte by byte, split; TCP and Unix)',
      value: feeds,
      unit: 'feeds',
      bar: '(figure)',
      pass: true,
      context: true,
    });
    const okDiv = recordEq('P2', 'outcome divergences from the decoder', divergences, 0);
    record({
      id: 'P1',
      figure: 'canary messages received',
      value: gaps.received,
      unit: 'count',
      bar: '> 0',
      pass: gaps.received > 0,
    });
    assert.ok(CASES.length >= 80, `only ${CASES.length} server-side rows`);
    assert.ok(okDiv && problems.length === 0, problems.slice(0, 10).join('\n'));
    assert.ok(okGaps && okInternal && gaps.received > 0);
  } finally {
    await canary.close();
    await h.stop();
  }
});
