/**
 * A catalog of every configuration key, derived from the schema itself (type, range, allowed
 * values, default) plus the reloadability table and the env naming rule. Messages, env parsing,
 * the CLI and the docs test all read it, so none of them can disagree with the schema.
 */
import { z } from 'zod';
import { RELOADABLE } from './reloadable.ts';
import { keyMeta, SECTION_SCHEMAS, type Section, SETTING_SECTIONS, TopicSchema } from './schema.ts';

/** The value kinds the schema uses. */
export type KeyType = 'integer' | 'string' | 'boolean' | 'enum';

/** A scalar configuration value. */
export type ConfigValue = string | number | boolean;

/** One configuration key, as docs/config.md describes it. */
export interface ConfigKey {
  /** The top-level key it lives under. */
  readonly section: Section;
  /** The key within its table, e.g. `max_connections`. */
  readonly key: string;
  /** Display path: `server.max_connections`, or `topics[].buffer_size` for per-topic keys. */
  readonly path: string;
  readonly type: KeyType;
  /** Integers: smallest allowed value. */
  readonly min?: number;
  /** Integers: largest allowed value, absent when only the safe-integer range bounds it. */
  readonly max?: number;
  /** Enums: the allowed values. */
  readonly values?: readonly string[];
  /** The default, or `undefined` for a required key or an optional one without default. */
  readonly default: ConfigValue | undefined;
  /** True when the key must be given (only a topic's `name`). */
  readonly required: boolean;
  /** What the key accepts, phrased to follow "must be". */
  readonly allowed: string;
  /** The env variable that overrides it (`<TOPIC>` stands for the topic), or undefined if none does. */
  readonly env: string | undefined;
  /** Whether a hot reload may change it (see reloadable.ts). */
  readonly reloadable: boolean;
  /** Secrets are never echoed in messages or printed configs. */
  readonly secret: boolean;
}

/** Prefix of every environment variable the loader reads. */
export const ENV_PREFIX = 'MYCELIUM_';
/** Separates section, topic and key in an override variable name. */
export const ENV_SEPARATOR = '__';
/** Stands for the topic's name in per-topic env variable names. */
export const ENV_TOPIC_PLACEHOLDER = '<TOPIC>';

interface Leaf {
  readonly type: KeyType;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  readonly default: ConfigValue | undefined;
  readonly required: boolean;
  readonly allowed: string;
  readonly secret: boolean;
}

function describeLeaf(field: z.ZodType): Leaf {
  let schema = field;
  let fallback: ConfigValue | undefined;
  let required = true;
  // Peel defaults and optionals off to reach the leaf that holds the rule.
  for (;;) {
    if (schema instanceof z.ZodDefault) {
      fallback = schema.def.defaultValue as ConfigValue;
      required = false;
      schema = schema.unwrap() as z.ZodType;
    } else if (schema instanceof z.ZodOptional) {
      required = false;
      schema = schema.unwrap() as z.ZodType;
    } else {
      break;
    }
  }
  const meta = keyMeta.get(schema);
  const base = { default: fallback, required, secret: meta?.secret ?? false };
  if (schema instanceof z.ZodNumber) {
    const min = schema.minValue ?? Number.MIN_SAFE_INTEGER;
    const max = schema.maxValue ?? Number.MAX_SAFE_INTEGER;
    const bounded = max < Number.MAX_SAFE_INTEGER;
    const allowed = bounded ? `an integer from ${min} to ${max}` : `an integer >= ${min}`;
    return { ...base, type: 'integer', min, ...(bounded ? { max } : {}), allowed: meta?.allowed ?? allowed };
  }
  if (schema instanceof z.ZodEnum) {
    const values = schema.options.map(String);
    const allowed = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
    return { ...base, type: 'enum', values, allowed: meta?.allowed ?? allowed };
  }
  if (schema instanceof z.ZodBoolean) {
    return { ...base, type: 'boolean', allowed: meta?.allowed ?? 'true or false' };
  }
  if (schema instanceof z.ZodString) {
    return { ...base, type: 'string', allowed: meta?.allowed ?? 'a string' };
  }
  throw new TypeError(`config schema: no description for a ${schema.def.type} key`);
}

function envName(section: Section, key: string): string | undefined {
  if (section !== 'topics') {
    return `${ENV_PREFIX}${section.toUpperCase()}${ENV_SEPARATOR}${key.toUpperCase()}`;
  }
  // A topic is addressed by its name, so the name itself cannot be overridden.
  if (key === 'name') return undefined;
  return `${ENV_PREFIX}TOPICS${ENV_SEPARATOR}${ENV_TOPIC_PLACEHOLDER}${ENV_SEPARATOR}${key.toUpperCase()}`;
}

function buildCatalog(): ConfigKey[] {
  const shapes: [Section, Record<string, z.ZodType>][] = [
    ['server', SECTION_SCHEMAS.server.shape],
    ['topics', TopicSchema.shape],
    ['performance', SECTION_SCHEMAS.performance.shape],
    ['metrics', SECTION_SCHEMAS.metrics.shape],
  ];
  const catalog: ConfigKey[] = [];
  for (const [section, shape] of shapes) {
    const flags = RELOADABLE[section] as Record<string, boolean>;
    for (const [key, field] of Object.entries(shape)) {
      const reloadable = flags[key];
      if (reloadable === undefined) {
        throw new TypeError(`config: RELOADABLE has no entry for ${section}.${key}`);
      }
      catalog.push({
        section,
        key,
        path: section === 'topics' ? `topics[].${key}` : `${section}.${key}`,
        ...describeLeaf(field),
        env: envName(section, key),
        reloadable,
      });
    }
  }
  return catalog;
}

/** Every configuration key, section by section in file order (server, topics, performance, metrics). */
export const CONFIG_KEYS: readonly ConfigKey[] = buildCatalog();

const BY_SECTION = new Map<string, Map<string, ConfigKey>>();
for (const entry of CONFIG_KEYS) {
  const keys = BY_SECTION.get(entry.section) ?? new Map<string, ConfigKey>();
  keys.set(entry.key, entry);
  BY_SECTION.set(entry.section, keys);
}

/** The catalog entry for `section.key` (`topics` for per-topic keys), or undefined if there is none. */
export function findKey(section: string, key: string): ConfigKey | undefined {
  return BY_SECTION.get(section)?.get(key);
}

/** The key names of a section (`topics` gives the per-topic keys), in schema order. */
export function sectionKeys(section: Section): readonly string[] {
  return [...(BY_SECTION.get(section)?.keys() ?? [])];
}

/** True for the table sections that hold plain settings (`server`, `performance`, `metrics`). */
export function isSettingSection(name: string): name is (typeof SETTING_SECTIONS)[number] {
  return (SETTING_SECTIONS as readonly string[]).includes(name);
}
