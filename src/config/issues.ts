/**
 * Turns zod issues into problems a user can act on: the key path, what is wrong, what is allowed,
 * and a "did you mean" hint for near misses. Wording comes from the key catalog (keys.ts), not
 * from zod's messages, so every key reads the same way whatever check failed.
 */
import type { z } from 'zod';
import { type ConfigKey, findKey, isSettingSection, sectionKeys } from './keys.ts';
import { describeValue, formatPath, type Problems } from './problems.ts';
import { SECTIONS, SETTING_SECTIONS } from './schema.ts';
import { didYouMean } from './suggest.ts';

type Issue = z.ZodError['issues'][number];

/** Reads the value at `path` in the parsed document, own properties only. */
function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = doc;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    if (!Object.hasOwn(node, part)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

function keyForPath(path: readonly PropertyKey[]): ConfigKey | undefined {
  const [section, second, third] = path;
  if (path.length === 2 && typeof section === 'string' && isSettingSection(section)) {
    return findKey(section, String(second));
  }
  if (path.length === 3 && section === 'topics' && typeof second === 'number') {
    return findKey('topics', String(third));
  }
  return undefined;
}

function describeSecret(value: unknown): string {
  if (typeof value === 'string') return `a string of ${Buffer.byteLength(value)} bytes`;
  if (Array.isArray(value) || (value !== null && typeof value === 'object')) return describeValue(value);
  return `a ${typeof value} (value not shown)`;
}

/** What a container at `path` must be, for type errors on sections and topic entries. */
function containerRule(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'must be a table of sections';
  const [section] = path;
  if (section === 'topics') {
    return path.length === 1
      ? 'must be an array of tables ([[topics]] entries)'
      : 'must be a table (a [[topics]] entry)';
  }
  return `must be a table ([${String(section)}])`;
}

function reportValue(issue: Issue, doc: unknown, problems: Problems): void {
  const path = formatPath(issue.path) || 'configuration';
  const value = valueAt(doc, issue.path);
  const entry = keyForPath(issue.path);
  if (entry === undefined) {
    problems.add(path, `${containerRule(issue.path)} (got ${describeValue(value)})`);
    return;
  }
  if (value === undefined && entry.required) {
    problems.add(path, `is required; must be ${entry.allowed}`);
    return;
  }
  if (issue.code === 'custom' && issue.params?.explained === true) {
    problems.add(path, `${issue.message} (got ${describeValue(value)})`);
    return;
  }
  let message = `must be ${entry.allowed} (got ${entry.secret ? describeSecret(value) : describeValue(value)})`;
  if (entry.values !== undefined && typeof value === 'string') {
    const hint = didYouMean(value, entry.values);
    if (hint !== undefined) message += `; did you mean "${hint}"?`;
  }
  problems.add(path, message);
}

function sectionLabel(section: string): string {
  return section === 'topics' ? '[[topics]]' : `[${section}]`;
}

/** The setting section other than `except` that has `key`, if any. */
function sectionHolding(key: string, except?: string): string | undefined {
  return SETTING_SECTIONS.find((s) => s !== except && findKey(s, key) !== undefined);
}

function unknownTopLevel(key: string): string {
  const section = didYouMean(key, SECTIONS);
  if (section !== undefined) return `unknown section; did you mean ${sectionLabel(section)}?`;
  const home = sectionHolding(key);
  if (home !== undefined) return `unknown top-level key; it belongs in [${home}] (${home}.${key})`;
  if (findKey('topics', key) !== undefined) {
    return 'unknown top-level key; it is a topic key and belongs in a [[topics]] entry';
  }
  return `unknown top-level key (allowed: ${SECTIONS.map(sectionLabel).join(', ')})`;
}

function unknownInSection(section: string, key: string): string {
  const own = sectionKeys(section as (typeof SECTIONS)[number]);
  const hint = didYouMean(key, own);
  if (hint !== undefined) return `unknown key; did you mean \`${hint}\`?`;
  const home = sectionHolding(key, section);
  if (home !== undefined) {
    return `unknown key in ${sectionLabel(section)}; it belongs in [${home}] (${home}.${key})`;
  }
  if (section !== 'topics' && findKey('topics', key) !== undefined) {
    return `unknown key in [${section}]; it is a topic key and belongs in a [[topics]] entry`;
  }
  return `unknown key (allowed: ${own.join(', ')})`;
}

function reportUnknownKeys(issue: Extract<Issue, { code: 'unrecognized_keys' }>, problems: Problems): void {
  const [section] = issue.path;
  for (const key of issue.keys) {
    const path = formatPath([...issue.path, key]);
    if (issue.path.length === 0) problems.add(path, unknownTopLevel(key));
    else problems.add(path, unknownInSection(String(section), key));
  }
}

/** Adds one problem per zod issue (one per key for unknown keys), worded from the key catalog. */
export function reportIssues(issues: readonly Issue[], doc: unknown, problems: Problems): void {
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') reportUnknownKeys(issue, problems);
    else reportValue(issue, doc, problems);
  }
}
