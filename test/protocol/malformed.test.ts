/**
 * The malformed-frame corpus (RELIABILITY.md P1, P2): every row fed whole, byte by byte and cut at
 * every point must give exactly the events the row lists, with the right fatality, and nothing
 * after a fatal error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERROR_CATALOG, type ErrorCode } from '../../src/errors.ts';
import { BODY_CASES } from './cases-bodies.ts';
import { type BadCase, FRAMING_CASES, PING } from './cases-framing.ts';
import {
  assertChunkInvariant,
  DECODER_ERROR_CODES,
  type ErrorEvent,
  type Event,
  feed,
  hex,
  summary,
} from './helpers.ts';

const CASES: readonly BadCase[] = [...FRAMING_CASES, ...BODY_CASES];

function isError(e: Event): e is ErrorEvent {
  return 'error' in e;
}

function run(c: BadCase): void {
  const bytes = hex(c.hex);
  const options = {
    side: c.side ?? 'server',
    enforceHandshake: c.enforceHandshake ?? false,
    ...(c.maxFrameSize === undefined ? {} : { maxFrameSize: c.maxFrameSize }),
  } as const;
  const whole = assertChunkInvariant(bytes, options, c.rule);
  assert.deepEqual(summary(whole.events), c.events, 'events in order');

  const errors = whole.events.filter(isError);
  for (const e of errors) {
    assert.equal(
      e.fatal,
      ERROR_CATALOG[e.error as ErrorCode].fatal,
      `${e.error} fatality follows the catalog`,
    );
    assert.notEqual(e.message, '', 'every error says what was wrong');
  }
  const last = errors.at(-1);
  assert.equal(last?.fatal ?? false, c.fatal, 'ends in a fatal error or not');
  assert.equal(whole.decoder.stopped, c.fatal, 'a fatal error stops the decoder, nothing else does');
  if (c.fatal) assert.ok(isError(whole.events.at(-1)!), 'nothing is reported after a fatal error');
  if (c.refOp !== undefined) assert.equal(last?.refOp, c.refOp, 'ref_op of the error');
  if (c.ref !== undefined) assert.equal(last?.ref, c.ref, 'ref of the error');
  if (!c.fatal) assert.equal(whole.decoder.midFrame, c.waiting ?? false, 'waits for the rest of a cut frame');

  // More input after a fatal error is ignored; after anything else, decoding goes on.
  const more = feed([bytes, hex(PING)], options);
  if (c.fatal) assert.deepEqual(more.events, whole.events, 'input after a fatal error is ignored');
  else if (!c.waiting) assert.deepEqual(summary(more.events), [...c.events, 'PING'], 'decoding goes on');
}

describe('malformed-frame corpus (docs/protocol.md §1-§3)', () => {
  test('the corpus holds at least 80 cases, each rule named once', () => {
    assert.ok(CASES.length >= 80, `only ${CASES.length} cases`);
    assert.equal(new Set(CASES.map((c) => c.rule)).size, CASES.length);
  });

  test('the corpus reaches every error code the decoder can raise', () => {
    const seen = new Set(
      CASES.flatMap((c) => c.events.filter((e) => e.startsWith('!')).map((e) => e.slice(1))),
    );
    assert.deepEqual([...seen].sort(), [...DECODER_ERROR_CODES].sort());
  });

  for (const c of FRAMING_CASES) test(`framing: ${c.rule}`, () => run(c));
  for (const c of BODY_CASES) test(`body: ${c.rule}`, () => run(c));
});
