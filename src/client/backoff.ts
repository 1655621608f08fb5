/**
 * Delay before reconnect attempt number `attempt` (1-based): exponential growth from `initialMs`,
 * capped at `maxMs`, with "equal jitter" (a random point in the upper half of the step) so that
 * many clients cut off by one server restart do not all come back in the same millisecond,
 * while none of them retries much sooner than the schedule says.
 *
 * @param random a source of numbers in [0, 1); tests pass a fixed one
 */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const step = Math.min(maxMs, initialMs * 2 ** exponent);
  return Math.round(step / 2 + random() * (step / 2));
}
