/**
 * The topic name rule (ARCHITECTURE.md §2, docs/config.md `[[topics]] name`): 1..128 characters of
 * `A-Z a-z 0-9 _ - .`, no empty dot-separated part. `*` and `>` are reserved for the wildcard
 * subscriptions a subject trie will add later (`market_data.*`, `market_data.>`), so they get
 * their own message.
 */

/** Longest topic name, in characters (all allowed characters are ASCII, so also in bytes). */
export const MAX_TOPIC_NAME_LENGTH = 128;

const ALLOWED = /^[A-Za-z0-9_.-]+$/;
const FIRST_BAD = /[^A-Za-z0-9_.-]/;

/**
 * Why `name` is not a valid topic name, or undefined when it is. The text names the offending
 * character (escaped) but never echoes the name itself, so a hostile name cannot flood a log line
 * or put control bytes on a terminal.
 */
export function topicNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'topic name is empty';
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `topic name is ${name.length} characters long; the limit is ${MAX_TOPIC_NAME_LENGTH}`;
  }
  if (!ALLOWED.test(name)) {
    if (name.includes('*') || name.includes('>')) {
      return "topic name contains '*' or '>', which are reserved for wildcard subscriptions";
    }
    const bad = FIRST_BAD.exec(name)?.[0] ?? '';
    return `topic name contains ${JSON.stringify(bad)}; allowed are A-Z a-z 0-9 _ - .`;
  }
  if (name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
    return 'topic name has an empty part between dots (no leading, trailing or double dot)';
  }
  return undefined;
}

/** True when `name` follows the topic name rule. */
export function isValidTopicName(name: string): boolean {
  return topicNameProblem(name) === undefined;
}
