/**
 * Copying small payloads on the hot paths: the fanout ring taking in a payload, a connection
 * writing a delivery into its output chunk, the benchmark's sink doing what a connection does.
 *
 * A typed-array copy (`target.set(source.subarray(...))`) needs a view object per copy plus the
 * call's setup, about 45 ns at any small size on Node 20. A byte loop costs about 1 ns a byte.
 * Copying four bytes at a time through DataViews costs about 0.27 ns a byte (16 B: 7 ns against
 * 14-24 ns for the loop), and every copy goes through one kind of object, so the copy sites stay
 * monomorphic whatever the arrays are (Buffer, Uint8Array): an earlier shared copy function that
 * took the arrays themselves made its sites polymorphic and cost ~4 % CPU at 1 KiB.
 */

/**
 * Ranges up to this many bytes are copied four bytes at a time through DataViews; longer ones with
 * a typed-array copy, whose fixed cost is then the smaller part (they cross near 160 B here).
 */
export const SMALL_COPY_MAX = 128;

/**
 * A payload met once (a queued message's own copy, an in-process publish) has no view to reuse,
 * and making one costs about what a typed-array copy does: up to this many bytes such a payload
 * is copied with a byte loop instead (about 1 ns a byte against ~45 ns for the copy call).
 */
export const BYTE_LOOP_MAX = 32;

/**
 * DataViews of the last two arrays asked for. The sources of small copies are few at a time: one
 * read's bytes of the shared read buffer (src/server/shared-reads.ts), shared by every frame of
 * that read, and a fanout ring's arena. A call for the same array returns its view at the cost of
 * one comparison (reading `.buffer` per copy costs more than the copy it would save). A new array
 * that starts where a cached one does in the same ArrayBuffer (the next read of the shared
 * buffer) reuses that view too, since each view runs to the end of its ArrayBuffer: so a view is
 * made once per buffer, not once per read. What is cached here stays referenced until
 * `forgetViews` (the server calls it on every sweep, so a deleted topic's arena is not kept alive
 * for long by a view of it).
 */
let firstBytes: Uint8Array | undefined;
let firstBuffer: ArrayBufferLike | undefined;
let firstOffset = 0;
let firstView: DataView | undefined;
let secondBuffer: ArrayBufferLike | undefined;
let secondOffset = 0;
let secondView: DataView | undefined;

/**
 * A DataView whose offsets are indexes in `bytes`. It may run past the end of `bytes` (to the
 * end of its ArrayBuffer): read only indexes below `bytes.length`.
 */
export function viewOf(bytes: Uint8Array): DataView {
  if (bytes === firstBytes) return firstView!;
  const buffer = bytes.buffer;
  const offset = bytes.byteOffset;
  if (buffer === firstBuffer && offset === firstOffset) {
    firstBytes = bytes;
    return firstView!;
  }
  let view: DataView;
  if (buffer === secondBuffer && offset === secondOffset) view = secondView!;
  else view = new DataView(buffer, offset);
  // Most recent first.
  secondBuffer = firstBuffer;
  secondOffset = firstOffset;
  secondView = firstView;
  firstBytes = bytes;
  firstBuffer = buffer;
  firstOffset = offset;
  firstView = view;
  return view;
}

/**
 * Copies `n` (at most a few hundred) bytes from `source` at `from` to `target` at `to`. The bytes
 * go as 32-bit words read and written with the same endianness, so their order is kept.
 */
export function copySmall(source: DataView, from: number, target: DataView, to: number, n: number): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    target.setUint32(to + i, source.getUint32(from + i, true), true);
    target.setUint32(to + i + 4, source.getUint32(from + i + 4, true), true);
  }
  if (i + 4 <= n) {
    target.setUint32(to + i, source.getUint32(from + i, true), true);
    i += 4;
  }
  for (; i < n; i++) target.setUint8(to + i, source.getUint8(from + i));
}

/**
 * The last range view made by `rangeView`. One publish is copied by the fanout ring and then by
 * every subscriber in turn, synchronously, so consecutive calls for the same range share one
 * view instead of making one each (a fanout to N subscribers makes one view per publish, not
 * N + 1). The source's ArrayBuffer is kept too, read once per source (one per read): reading
 * `.buffer` per message costs more than the view. It holds its source until the next range or
 * `forgetViews`.
 */
const EMPTY_VIEW = new Uint8Array(0);
const EMPTY_BUFFER: ArrayBufferLike = EMPTY_VIEW.buffer;
let lastView: Uint8Array = EMPTY_VIEW;
let lastSource: Uint8Array | undefined;
let lastSourceBuffer: ArrayBufferLike = EMPTY_BUFFER;
let lastSourceOffset = 0;
let lastViewStart = -1;

/** A Uint8Array of bytes `start .. start + n` of `buf`, for a typed-array copy of a large range. */
export function rangeView(buf: Uint8Array, start: number, n: number): Uint8Array {
  if (buf !== lastSource) {
    lastSource = buf;
    lastSourceBuffer = buf.buffer;
    lastSourceOffset = buf.byteOffset;
  } else if (lastViewStart === start && lastView.length === n) {
    return lastView;
  }
  lastView = new Uint8Array(lastSourceBuffer, lastSourceOffset + start, n);
  lastViewStart = start;
  return lastView;
}

/**
 * Drops every cached view and source array, so none keeps a buffer alive (a deleted topic's
 * arena, an old read). The next copy makes a new view: a few per call, nothing per message.
 */
export function forgetViews(): void {
  firstBytes = undefined;
  firstBuffer = undefined;
  firstView = undefined;
  secondBuffer = undefined;
  secondView = undefined;
  lastSource = undefined;
  lastSourceBuffer = EMPTY_BUFFER;
  lastView = EMPTY_VIEW;
  lastViewStart = -1;
}
