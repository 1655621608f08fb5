/**
 * What env overrides and flag overrides share: finding the key an override names, turning its
 * text into a value of the key's type, and writing it into the raw document before validation.
 */
import type { ConfigKey, ConfigValue } from './keys.ts';
import { describeValue, type Problems, TomlFloat } from './problems.ts';
import type { TomlDocument } from './toml.ts';

/** Where an override writes: a setting, or a key of the topic at `topic` in the file's array. */
export interface OverrideTarget {
  readonly entry: ConfigKey;
  /** Index of the topic in `topics`, for per-topic keys. */
  readonly topic?: number;
  /** Key path as problems show it: `server.port`, `topics[2].buffer_size`. */
  readonly path: string;
}

/** Builds the target for a setting or for a key of the topic at `topic`. */
export function targetOf(entry: ConfigKey, topic?: number): OverrideTarget {
  const path = topic === undefined ? `${entry.section}.${entry.key}` : `topics[${topic}].${entry.key}`;
  return topic === undefined ? { entry, path } : { entry, topic, path };
}

function isTable(value: unknown): value is TomlDocument {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof TomlFloat)
  );
}

/** The names of the file's topics by index (undefined where an entry has no usable name). */
export function topicNames(doc: TomlDocument): (string | undefined)[] {
  const topics = Object.hasOwn(doc, 'topics') ? doc.topics : undefined;
  if (!Array.isArray(topics)) return [];
  return topics.map((t) => (isTable(t) && typeof t.name === 'string' ? t.name : undefined));
}

const INTEGER_TEXT = /^[+-]?[0-9]+$/;

/**
 * Converts override text to the key's type: integers in decimal, booleans as `true`/`false`,
 * strings verbatim. Returns undefined (and adds a problem under `source`) if the text does not fit.
 */
export function coerce(
  target: OverrideTarget,
  text: string,
  source: string,
  problems: Problems,
): ConfigValue | undefined {
  const { entry } = target;
  const trimmed = text.trim();
  if (entry.type === 'integer') {
    const n = INTEGER_TEXT.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (Number.isSafeInteger(n)) return n;
  } else if (entry.type === 'boolean') {
    const lower = trimmed.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
  } else {
    return text;
  }
  problems.setOrigin(target.path, source);
  problems.add(target.path, `must be ${entry.allowed} (got ${describeValue(text)})`);
  return undefined;
}

/**
 * Writes `value` at `target`, creating the section table if the file had none. Returns false
 * when the file's section (or topic entry) is not a table; the schema reports that on its own.
 */
export function assign(
  doc: TomlDocument,
  target: OverrideTarget,
  value: ConfigValue,
  source: string,
  problems: Problems,
): boolean {
  const { entry } = target;
  let table: unknown;
  if (target.topic === undefined) {
    if (!Object.hasOwn(doc, entry.section)) doc[entry.section] = Object.create(null) as TomlDocument;
    table = doc[entry.section];
  } else {
    table = (doc.topics as unknown[])[target.topic];
  }
  if (!isTable(table)) return false;
  table[entry.key] = value;
  problems.setOrigin(target.path, source);
  return true;
}
