/**
 * The clock and histogram `mycelium bench` measures latency with. The publisher stamps each payload
 * with monoMs() and a subscriber, possibly in another process, subtracts it from its own monoMs().
 */
import * as hdr from 'hdr-histogram-js';

/** Largest latency the histogram tracks: one hour in µs. */
const MAX_LATENCY_US = 3_600_000_000;

/**
 * performance.now() counts from each process's own start; adding this offset turns it into
 * CLOCK_MONOTONIC milliseconds (as process.hrtime), which all processes share. It is measured as
 * the tightest of many bracketed reads, since one cold read can be off by tens of µs.
 */
const MONO_OFFSET_MS = (() => {
  let best = Number.POSITIVE_INFINITY;
  let offset = 0;
  for (let i = 0; i < 2000; i++) {
    const before = performance.now();
    const mono = Number(process.hrtime.bigint()) / 1e6;
    const after = performance.now();
    if (after - before < best) [best, offset] = [after - before, mono - (before + after) / 2];
  }
  return offset;
})();

/** CLOCK_MONOTONIC in ms, comparable across processes on this machine. */
export const monoMs = (): number => performance.now() + MONO_OFFSET_MS;

/** An empty latency histogram in µs. */
export const newHistogram = () =>
  hdr.build({ highestTrackableValue: MAX_LATENCY_US, numberOfSignificantValueDigits: 3 });
