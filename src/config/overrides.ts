/**
 * Flag overrides: values given on the command line (`--set server.port=0`, or a command's own
 * flags mapped to keys). They are applied after env overrides, so a flag wins over a variable.
 */
import { assign, coerce, type OverrideTarget, targetOf, topicNames } from './assign.ts';
import { type ConfigValue, findKey, isSettingSection, sectionKeys } from './keys.ts';
import type { Problems } from './problems.ts';
import { SETTING_SECTIONS } from './schema.ts';
import { didYouMean } from './suggest.ts';
import type { TomlDocument } from './toml.ts';

/** One override from a flag. */
export interface ConfigOverride {
  /** `section.key` (`server.port`), or `topics.<topic name>.<key>` for a declared topic. */
  readonly key: string;
  /** A typed value, or text parsed by the key's type like an env value. */
  readonly value: ConfigValue;
  /** How problems and `applied` name it, e.g. `--port`; defaults to `--set <key>`. */
  readonly source?: string;
}

function allKeyPaths(): string[] {
  const paths: string[] = [];
  for (const section of SETTING_SECTIONS)
    for (const key of sectionKeys(section)) paths.push(`${section}.${key}`);
  return paths;
}

function unknown(source: string, key: string, candidates: readonly string[], shape: string): string {
  const hint = didYouMean(key, candidates);
  return hint === undefined
    ? `${source}: unknown key \`${key}\` (expected ${shape})`
    : `${source}: unknown key \`${key}\`; did you mean \`${hint}\`?`;
}

function resolve(doc: TomlDocument, override: ConfigOverride, source: string): OverrideTarget | string {
  const parts = override.key.split('.');
  const [section] = parts;
  if (section === 'topics') {
    if (parts.length < 3) return `${source}: per-topic keys are written topics.<topic name>.<key>`;
    const key = parts.at(-1) ?? '';
    // Topic names may contain dots; the key is the last part, the name everything between.
    const name = parts.slice(1, -1).join('.');
    const entry = findKey('topics', key);
    if (entry === undefined) {
      const candidates = sectionKeys('topics').map((k) => `topics.${name}.${k}`);
      return unknown(source, override.key, candidates, 'topics.<topic name>.<key>');
    }
    if (key === 'name') {
      return `${source}: a topic's name cannot be overridden (overrides address topics by name)`;
    }
    const names = topicNames(doc);
    const index = names.indexOf(name);
    if (index === -1) {
      const declared = names.filter((n) => n !== undefined).map((n) => JSON.stringify(n));
      return `${source}: no topic named ${JSON.stringify(name)} in the file (topics: ${declared.join(', ') || 'none'})`;
    }
    return targetOf(entry, index);
  }
  const entry =
    parts.length === 2 && section !== undefined && isSettingSection(section)
      ? findKey(section, parts[1] ?? '')
      : undefined;
  if (entry === undefined) return unknown(source, override.key, allKeyPaths(), '<section>.<key>');
  return targetOf(entry);
}

/**
 * Applies flag overrides to the raw document, in order (a later one wins). Problems go to
 * `problems`; the sources of the overrides applied are pushed onto `applied`.
 */
export function applyOverrides(
  doc: TomlDocument,
  overrides: readonly ConfigOverride[],
  problems: Problems,
  applied: string[],
): void {
  for (const override of overrides) {
    const source = override.source ?? `--set ${override.key}`;
    const target = resolve(doc, override, source);
    if (typeof target === 'string') {
      problems.addText(target);
      continue;
    }
    const value =
      typeof override.value === 'string' ? coerce(target, override.value, source, problems) : override.value;
    if (value !== undefined && assign(doc, target, value, source, problems)) applied.push(source);
  }
}

/**
 * Parses a `--set key=value` argument into an override (the value is typed later, by its key).
 * @throws TypeError if there is no `=` or the key is empty
 */
export function parseSetFlag(argument: string): ConfigOverride {
  const at = argument.indexOf('=');
  if (at <= 0) {
    throw new TypeError(`expected key=value, e.g. server.port=7421 (got ${JSON.stringify(argument)})`);
  }
  const key = argument.slice(0, at).trim();
  if (key === '') {
    throw new TypeError(`expected key=value with a non-empty key (got ${JSON.stringify(argument)})`);
  }
  return { key, value: argument.slice(at + 1), source: `--set ${key}` };
}
