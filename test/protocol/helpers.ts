/**
 * Shared helpers for the protocol tests: hex input, feeding a decoder in every way a socket could
 * cut the bytes, and turning what the decoder reported into comparable plain values.
 */
import assert from 'node:assert/strict';
import { type ErrorCode, ProtocolError } from '../../src/errors.ts';
import {
  type DecoderOptions,
  type Frame,
  FrameCollector,
  FrameDecoder,
  FrameError,
} from '../../src/protocol/index.ts';

/** Bytes from hex written with any spacing; `|` and `_` may separate fields for reading. */
export function hex(text: string): Buffer {
  const clean = text.replace(/[\s|_]/g, '');
  assert.match(clean, /^([0-9a-fA-F]{2})*$/, `bad hex in test: ${text}`);
  return Buffer.from(clean, 'hex');
}

/** A decoder error as a plain value, so whole and split feeds can be compared deeply. */
export interface ErrorEvent {
  readonly error: string;
  readonly fatal: boolean;
  readonly refOp: number;
  readonly ref: number;
  readonly message: string;
}

export type Event = Frame | ErrorEvent;

/** Every code a decoder may report: the malformed-input corpus reaches each, fuzzing finds no other. */
export const DECODER_ERROR_CODES: readonly ErrorCode[] = [
  'MALFORMED_FRAME',
  'FRAME_TOO_LARGE',
  'UNKNOWN_OP',
  'UNSUPPORTED_VERSION',
  'HANDSHAKE_REQUIRED',
  'UNEXPECTED_HANDSHAKE',
  'PROTOCOL_ERROR',
  'INVALID_TOPIC',
];

/** What one feed produced: every event in order, and the decoder for further checks. */
export interface Fed {
  readonly events: Event[];
  readonly decoder: FrameDecoder;
}

function normalize(events: ReadonlyArray<Frame | FrameError>): Event[] {
  return events.map((e) => {
    if (!(e instanceof Error)) return e;
    // The decoder's one promise about errors: only ProtocolErrors, as FrameErrors, reach onError.
    assert.ok(e instanceof FrameError && e instanceof ProtocolError, 'onError got something else');
    return { error: e.code, fatal: e.fatal, refOp: e.refOp, ref: e.ref, message: e.message };
  });
}

/** Pushes `pieces` in order into a fresh decoder (enforceHandshake defaults to false here). */
export function feed(pieces: readonly Buffer[], options: DecoderOptions): Fed {
  const collector = new FrameCollector();
  const decoder = new FrameDecoder(collector, { enforceHandshake: false, ...options });
  for (const piece of pieces) decoder.push(piece);
  return { events: normalize(collector.events), decoder };
}

/** The bytes whole, in one push. */
export function feedWhole(bytes: Buffer, options: DecoderOptions): Fed {
  return feed([bytes], options);
}

/** The bytes one at a time, each in its own Buffer. */
export function feedBytewise(bytes: Buffer, options: DecoderOptions): Fed {
  return feed(
    Array.from(bytes, (b) => Buffer.from([b])),
    options,
  );
}

/** The bytes cut in two at `at`, each half copied so no piece shares memory with another. */
export function feedSplit(bytes: Buffer, at: number, options: DecoderOptions): Fed {
  return feed([Buffer.from(bytes.subarray(0, at)), Buffer.from(bytes.subarray(at))], options);
}

/**
 * Asserts that feeding `bytes` byte by byte and cut at every point gives exactly the events of
 * feeding it whole (docs/protocol.md §1.7); returns the whole feed. `label` names the case.
 */
export function assertChunkInvariant(bytes: Buffer, options: DecoderOptions, label: string): Fed {
  const whole = feedWhole(bytes, options);
  assert.deepEqual(feedBytewise(bytes, options).events, whole.events, `${label}: byte by byte`);
  for (let at = 1; at < bytes.length; at++) {
    assert.deepEqual(feedSplit(bytes, at, options).events, whole.events, `${label}: split at ${at}`);
  }
  return whole;
}

/** One line per event: the op name of a frame, or `!CODE` for an error. */
export function summary(events: readonly Event[]): string[] {
  return events.map((e) => ('op' in e ? e.op : `!${e.error}`));
}
