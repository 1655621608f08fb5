/**
 * Environment overrides: `MYCELIUM_<SECTION>__<KEY>` for settings and
 * `MYCELIUM_TOPICS__<TOPIC>__<KEY>` for a key of a topic declared in the file. Values are parsed
 * by the key's type and then validated exactly like the file; a problem names the variable.
 *
 * Every `MYCELIUM_<A>__<B>` variable is an override, so a misspelt one is an error rather than a
 * silently ignored setting. Variables without a double underscore (`MYCELIUM_CONFIG`, and any
 * other plain `MYCELIUM_*` setting) are not overrides.
 */
import { assign, coerce, type OverrideTarget, targetOf, topicNames } from './assign.ts';
import { ENV_PREFIX, ENV_SEPARATOR, findKey, sectionKeys } from './keys.ts';
import type { Problems } from './problems.ts';
import { type Section, SECTIONS } from './schema.ts';
import { didYouMean } from './suggest.ts';
import type { TomlDocument } from './toml.ts';

/** Names the configuration file when no file argument is given; not an override. */
export const CONFIG_FILE_ENV = 'MYCELIUM_CONFIG';

/** An environment: variable name to value (`process.env` fits). */
export type Environment = Readonly<Record<string, string | undefined>>;

function envKey(section: string, key: string, topic?: string): string {
  const middle = topic === undefined ? '' : `${topic}${ENV_SEPARATOR}`;
  return `${ENV_PREFIX}${section.toUpperCase()}${ENV_SEPARATOR}${middle}${key.toUpperCase()}`;
}

/** How the env form of a topic name compares: case-insensitive, with `.` and `-` written as `_`. */
function envForm(name: string): string {
  return name.toUpperCase().replace(/[.-]/g, '_');
}

/**
 * The index of the topic an env variable names: the exact name first, then the env form.
 * Returns a problem text when no topic, or more than one, matches.
 */
function resolveTopic(names: readonly (string | undefined)[], ref: string): number | string {
  const exact = names.indexOf(ref);
  if (exact !== -1) return exact;
  const form = envForm(ref);
  const matches: number[] = [];
  names.forEach((name, index) => {
    if (name !== undefined && envForm(name) === form) matches.push(index);
  });
  const [only] = matches;
  if (matches.length === 1 && only !== undefined) return only;
  if (matches.length > 1) {
    const listed = matches.map((i) => `${JSON.stringify(names[i])} (topics[${i}])`).join(', ');
    return `\`${ref}\` matches more than one topic: ${listed}; write the topic name exactly as in the file`;
  }
  const declared = names.filter((n) => n !== undefined).map((n) => JSON.stringify(n));
  const known = declared.length === 0 ? 'the file declares no topics' : `topics: ${declared.join(', ')}`;
  return `\`${ref}\` names no topic in the file (${known}); env variables can only change declared topics`;
}

function unknownSection(name: string, section: string, rest: string): string {
  const hint = didYouMean(section, SECTIONS);
  if (hint !== undefined) {
    return `${name}: unknown section \`${section}\`; did you mean ${envKey(hint, rest)}?`;
  }
  return `${name}: unknown section \`${section}\` (sections: ${SECTIONS.join(', ')})`;
}

function unknownKey(name: string, section: Section, key: string, topic?: string): string {
  const hint = didYouMean(key, sectionKeys(section));
  const what =
    section === 'topics' ? `unknown topic key \`${key}\`` : `unknown key \`${key}\` in [${section}]`;
  if (hint !== undefined) return `${name}: ${what}; did you mean ${envKey(section, hint, topic)}?`;
  return `${name}: ${what} (keys: ${sectionKeys(section).join(', ')})`;
}

/** A `MYCELIUM_SERVER_PORT`-style near miss: a known section followed by a single underscore. */
function singleUnderscoreHint(name: string, rest: string): string | undefined {
  const lower = rest.toLowerCase();
  const section = SECTIONS.find((s) => lower.startsWith(`${s}_`) && lower.length > s.length + 1);
  if (section === undefined) return undefined;
  const suggestion = `${ENV_PREFIX}${rest.slice(0, section.length)}${ENV_SEPARATOR}${rest.slice(section.length + 1)}`;
  return `${name}: not an override; did you mean ${suggestion}? (section, topic and key are separated by two underscores)`;
}

/**
 * The key an override variable names, a problem text if it names none, or undefined if the
 * variable is not an override at all (no double underscore and no near miss of one).
 */
function resolveVariable(doc: TomlDocument, name: string): OverrideTarget | string | undefined {
  const rest = name.slice(ENV_PREFIX.length);
  const [first, ...others] = rest.split(ENV_SEPARATOR);
  if (first === undefined || others.length === 0) return singleUnderscoreHint(name, rest);
  const section = first.toLowerCase();
  if (!(SECTIONS as readonly string[]).includes(section)) {
    return unknownSection(name, section, others.join(ENV_SEPARATOR));
  }
  if (section !== 'topics') {
    const key = others.join(ENV_SEPARATOR).toLowerCase();
    const entry = findKey(section, key);
    return entry === undefined ? unknownKey(name, section as Section, key) : targetOf(entry);
  }
  if (others.length < 2) return `${name}: per-topic variables are named ${ENV_PREFIX}TOPICS__<TOPIC>__<KEY>`;
  // Topic names may contain "__"; keys never do, so the key is the last part.
  const key = (others.at(-1) ?? '').toLowerCase();
  const ref = others.slice(0, -1).join(ENV_SEPARATOR);
  const entry = findKey('topics', key);
  if (entry === undefined) return unknownKey(name, 'topics', key, ref);
  if (key === 'name') {
    return `${name}: a topic's name cannot be overridden (env variables address topics by name)`;
  }
  const index = resolveTopic(topicNames(doc), ref);
  return typeof index === 'string' ? `${name}: ${index}` : targetOf(entry, index);
}

/**
 * Applies every `MYCELIUM_*__*` variable of `env` to the raw document, in name order. Problems
 * (unknown sections or keys, values of the wrong type, topics not found) go to `problems`; the
 * names of the variables applied are pushed onto `applied`.
 */
export function applyEnv(doc: TomlDocument, env: Environment, problems: Problems, applied: string[]): void {
  const names = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && name !== CONFIG_FILE_ENV)
    .sort();
  for (const name of names) {
    const value = env[name];
    const target = value === undefined ? undefined : resolveVariable(doc, name);
    if (value === undefined || target === undefined) continue;
    if (typeof target === 'string') {
      problems.addText(target);
      continue;
    }
    const coerced = coerce(target, value, name, problems);
    if (coerced !== undefined && assign(doc, target, coerced, name, problems)) applied.push(name);
  }
}
