/**
 * The topic-name rule, shared by the config loader, the broker (topics created at run time) and
 * the protocol decoder (PUB and SUB frames), so all three accept exactly the same names.
 *
 * A name is 1 to {@link MAX_TOPIC_NAME_LENGTH} characters of `A-Z a-z 0-9 _ - .`, with no empty
 * dot-separated part. `*` and `>` are reserved: they will be the wildcards of subject-style
 * subscriptions (`market_data.*`, `market_data.>`), so no topic may contain them today.
 */
import { MAX_TOPIC_NAME_LENGTH } from './limits.ts';

/** The characters a topic name may use, as shown in messages. */
export const TOPIC_NAME_CHARACTERS = 'A-Z a-z 0-9 _ - .';

const DOT = 0x2e;

function isNameChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f || // _
    c === 0x2d || // -
    c === DOT
  );
}

function showChar(codePoint: number): string {
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  // Printable ASCII is shown as itself; anything else only by code point, so control bytes
  // never reach a log or a terminal raw.
  return codePoint > 0x20 && codePoint < 0x7f ? `"${String.fromCodePoint(codePoint)}" (${hex})` : hex;
}

/**
 * Checks a topic name against the naming rule.
 *
 * Returns `undefined` for a valid name, otherwise one sentence saying what is wrong and what is
 * allowed (e.g. `must not have an empty dot-separated part (no leading, trailing or double dot)`),
 * written to follow a subject such as `topics[2].name: ` or `invalid topic name: `. The text never
 * echoes the whole name, so a hostile name cannot flood a log line.
 */
export function validateTopicName(name: string): string | undefined {
  const length = name.length;
  if (length === 0) return 'must not be empty';
  if (length > MAX_TOPIC_NAME_LENGTH) {
    return `must be at most ${MAX_TOPIC_NAME_LENGTH} characters long (got ${length})`;
  }
  let previous = DOT; // a leading dot is an empty first part
  for (let i = 0; i < length; i++) {
    const c = name.charCodeAt(i);
    if (!isNameChar(c)) {
      if (c === 0x2a || c === 0x3e) {
        return `must not contain "${name[i]}": "*" and ">" are reserved for wildcard subscriptions (allowed: ${TOPIC_NAME_CHARACTERS})`;
      }
      return `must not contain ${showChar(name.codePointAt(i) ?? c)} (allowed: ${TOPIC_NAME_CHARACTERS})`;
    }
    if (c === DOT && previous === DOT) {
      return 'must not have an empty dot-separated part (no leading, trailing or double dot)';
    }
    previous = c;
  }
  if (previous === DOT) {
    return 'must not have an empty dot-separated part (no leading, trailing or double dot)';
  }
  return undefined;
}
