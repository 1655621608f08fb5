/** "Did you mean" hints for unknown keys and values. */
import { MAX_SUGGESTION_DISTANCE } from './limits.ts';

/** Edit distance (insertions, deletions, substitutions) between two strings. */
function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = new Array<number>(b.length + 1);
  let current = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}

function squash(s: string): string {
  return s.toLowerCase().replace(/[-_]/g, '');
}

/**
 * The candidate the input most likely meant, or undefined when none is close. Case and `_`/`-`
 * differences are free (`maxConnections` finds `max_connections`); otherwise the edit distance
 * may be at most {@link MAX_SUGGESTION_DISTANCE}, or 1 for short candidates, where two edits
 * would turn almost any word into another.
 */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  // Inputs far longer than any key are not typos; skip the quadratic work on them.
  if (input.length > 256) return undefined;
  const squashed = squash(input);
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (squash(candidate) === squashed) return candidate;
    const limit = candidate.length <= 4 ? 1 : MAX_SUGGESTION_DISTANCE;
    const distance = levenshtein(lower, candidate.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
