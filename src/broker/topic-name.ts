/**
 * The topic name rule as the broker reports it. The rule itself lives in `src/topic-name.ts`, shared
 * with the config loader and mirrored byte-wise by the protocol decoder, so all three accept exactly
 * the same names (ARCHITECTURE.md §2, docs/config.md `[[topics]] name`).
 */
import { validateTopicName } from '../topic-name.ts';

export { MAX_TOPIC_NAME_LENGTH } from '../limits.ts';

/**
 * Why `name` is not a valid topic name, or undefined when it is. The text names the offending
 * character (escaped) but never echoes the name itself, so a hostile name cannot flood a log line
 * or put control bytes on a terminal.
 */
export function topicNameProblem(name: string): string | undefined {
  if (typeof name !== 'string') return 'topic name must be a string';
  const problem = validateTopicName(name);
  return problem === undefined ? undefined : `topic name ${problem}`;
}

/** True when `name` follows the topic name rule. */
export function isValidTopicName(name: string): boolean {
  return topicNameProblem(name) === undefined;
}
