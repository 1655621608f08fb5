/**
 * Decoder property fuzzing (RELIABILITY.md P3): random and mutated bytes, cut anywhere, only ever
 * produce ProtocolErrors through onError (never an exception), the same events however they are
 * cut, nothing after a fatal error, bounded memory; and encode/decode round-trips every valid
 * frame. MYCELIUM_FUZZ_RUNS sets the iterations of each robustness property (default 20 000;
 * CI's P3 bar is 100 000, a soak 10 M).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { ErrorCode } from '../../src/errors.ts';
import {
  DEFAULT_MAX_FRAME_SIZE,
  encodeFrames,
  FRAME_HEADER_SIZE,
  REASSEMBLY_INITIAL_SIZE,
  type Side,
} from '../../src/protocol/index.ts';
import { recordFuzz, SOAK } from '../reliability/helpers/results.ts';
import { clientFrame, cutsFor, mutate, mutation, piecesOf, serverFrame } from './arbitraries.ts';
import { DECODER_ERROR_CODES, type ErrorEvent, type Event, feed } from './helpers.ts';

/** Iterations of each robustness property; raise it for a soak run. */
export const FUZZ_RUNS = Number(process.env.MYCELIUM_FUZZ_RUNS ?? 20_000);

/** The matrix's bar on each robustness property's iterations: CI 100,000, soak 10 M. */
const P3_BAR = SOAK ? 10_000_000 : 100_000;

/** Anything but these reaching onError is a bug. */
const DECODER_CODES = new Set<ErrorCode>(DECODER_ERROR_CODES);

interface Setup {
  readonly side: Side;
  readonly maxFrameSize: number;
  readonly enforceHandshake: boolean;
}

const setup: fc.Arbitrary<Setup> = fc.record({
  side: fc.constantFrom<Side>('server', 'client'),
  maxFrameSize: fc.constantFrom(8, 64, 300, 2000, DEFAULT_MAX_FRAME_SIZE),
  enforceHandshake: fc.boolean(),
});

const isError = (e: Event): e is ErrorEvent => 'error' in e;

/**
 * Feeds `bytes` whole and cut at `cuts`, checking every decoder promise; returns the whole feed.
 * `feed` itself asserts that only FrameErrors (ProtocolErrors) reach onError.
 */
function check(bytes: Buffer, cuts: readonly number[], s: Setup): { events: Event[]; clean: boolean } {
  let whole: ReturnType<typeof feed>;
  let cut: ReturnType<typeof feed>;
  try {
    whole = feed([bytes], s);
    cut = feed(piecesOf(bytes, cuts), s);
  } catch (err) {
    assert.fail(`push threw instead of reporting: ${String(err)}`);
  }
  assert.deepEqual(cut.events, whole.events, 'the same events however the input is cut');
  const firstFatal = whole.events.findIndex((e) => isError(e) && e.fatal);
  if (firstFatal >= 0) assert.equal(firstFatal, whole.events.length - 1, 'nothing after a fatal error');
  for (const e of whole.events) if (isError(e)) assert.ok(DECODER_CODES.has(e.error as ErrorCode), e.error);
  // P3: memory held never exceeds the declared frame (capped by maxFrameSize) plus its header,
  // and follows what actually arrived.
  for (const d of [whole.decoder, cut.decoder]) {
    assert.ok(d.pendingBytes <= s.maxFrameSize + FRAME_HEADER_SIZE, `${d.pendingBytes} held`);
    assert.ok(
      d.pendingBytes <= Math.max(REASSEMBLY_INITIAL_SIZE, 2 * bytes.length),
      `${d.pendingBytes} held`,
    );
  }
  return { events: whole.events, clean: !whole.events.some(isError) && !whole.decoder.midFrame };
}

const cuts = fc.array(fc.nat(), { maxLength: 6 });

describe('decoder fuzzing (RELIABILITY.md P3)', () => {
  test(`random bytes only ever yield ProtocolErrors via onError (${FUZZ_RUNS} runs)`, () => {
    recordFuzz('P3', 'random bytes', FUZZ_RUNS, P3_BAR, () =>
      fc.assert(
        fc.property(setup, fc.uint8Array({ maxLength: 200 }), cuts, (s, raw, rawCuts) => {
          const bytes = Buffer.from(raw);
          check(bytes, cutsFor(bytes.length, rawCuts), s);
        }),
        { numRuns: FUZZ_RUNS },
      ),
    );
  });

  test(`mutated valid streams only ever yield ProtocolErrors, and accepted bytes re-encode to themselves (${FUZZ_RUNS} runs)`, () => {
    const stream = fc.oneof(
      fc.tuple(fc.constant<Side>('server'), fc.array(clientFrame, { minLength: 1, maxLength: 6 })),
      fc.tuple(fc.constant<Side>('client'), fc.array(serverFrame, { minLength: 1, maxLength: 6 })),
    );
    recordFuzz('P3', 'mutated valid streams', FUZZ_RUNS, P3_BAR, () =>
      fc.assert(
        fc.property(
          stream,
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          fc.constantFrom(64, 2000, DEFAULT_MAX_FRAME_SIZE),
          cuts,
          ([side, frames], mutations, maxFrameSize, rawCuts) => {
            const bytes = mutations.reduce(mutate, encodeFrames(frames));
            const s = { side, maxFrameSize, enforceHandshake: false };
            const { events, clean } = check(bytes, cutsFor(bytes.length, rawCuts), s);
            // Whatever the decoder accepted whole must be exactly what the encoder writes for it.
            if (clean) assert.deepEqual(encodeFrames(events as never), bytes);
          },
        ),
        { numRuns: FUZZ_RUNS },
      ),
    );
  });

  test('encode -> decode round-trips arbitrary valid frames, however they are cut', () => {
    const stream = fc.oneof(
      fc.tuple(fc.constant<Side>('server'), fc.array(clientFrame, { maxLength: 8 })),
      fc.tuple(fc.constant<Side>('client'), fc.array(serverFrame, { maxLength: 8 })),
    );
    fc.assert(
      fc.property(stream, cuts, ([side, frames], rawCuts) => {
        const bytes = encodeFrames(frames);
        const fed = feed(piecesOf(bytes, cutsFor(bytes.length, rawCuts)), { side });
        assert.deepEqual(fed.events, frames);
        assert.equal(fed.decoder.midFrame, false);
      }),
      { numRuns: Math.max(1000, Math.floor(FUZZ_RUNS / 4)) },
    );
  });
});
