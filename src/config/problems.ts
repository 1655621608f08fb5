/**
 * How problems are worded: key paths as a user would write them (`topics[2].buffer_size`),
 * values as they appeared in the file, and the override that set a value named as the source.
 */

/**
 * A TOML float. The loader wraps floats so that `buffer_size = 1000.0` is refused like any other
 * non-integer: every numeric key is an integer, and TOML tells the two apart even when JS cannot.
 */
export class TomlFloat {
  constructor(readonly value: number) {}

  /** The value as TOML would write it. */
  toString(): string {
    if (Number.isNaN(this.value)) return 'nan';
    if (!Number.isFinite(this.value)) return this.value > 0 ? 'inf' : '-inf';
    return Number.isInteger(this.value) ? this.value.toFixed(1) : String(this.value);
  }
}

/** Params of a custom zod issue whose message already says what is wrong (unlike a bare refine). */
export const EXPLAINED = { explained: true } as const;

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;
/** Longest string value echoed in a message; longer ones are cut, so a huge value cannot flood a log. */
const MAX_ECHO_CHARS = 60;

/** A key path as a user writes it: `server.port`, `topics[2].buffer_size`, `server."odd key"`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = String(part);
      const shown = PLAIN_KEY.test(key) ? key : JSON.stringify(key);
      out += out === '' ? shown : `.${shown}`;
    }
  }
  return out;
}

/** A value as it appeared in the configuration, for the `(got ...)` part of a message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    if (value.length <= MAX_ECHO_CHARS) return JSON.stringify(value);
    return `${JSON.stringify(value.slice(0, MAX_ECHO_CHARS))}... (${value.length} characters)`;
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (value instanceof TomlFloat) return `the float ${value}`;
  if (value instanceof Date) return 'a date/time';
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value === null) return 'null';
  return 'a table';
}

/**
 * Collects every problem found in one load, so a user sees them all at once. Values set by an
 * env variable or a flag are reported under that source: `MYCELIUM_SERVER__PORT (server.port): ...`.
 */
export class Problems {
  readonly #origins = new Map<string, string>();
  readonly #list: string[] = [];

  /** Records that the value at `path` was set by `source` (an env variable name or a flag). */
  setOrigin(path: string, source: string): void {
    this.#origins.set(path, source);
  }

  /** Adds `path: message`, naming the override that set the value if there was one. */
  add(path: string, message: string): void {
    const origin = this.#origins.get(path);
    this.#list.push(origin === undefined ? `${path}: ${message}` : `${origin} (${path}): ${message}`);
  }

  /** Adds a problem that already names its subject (e.g. a malformed env variable). */
  addText(text: string): void {
    this.#list.push(text);
  }

  /** How many problems were found. */
  get size(): number {
    return this.#list.length;
  }

  /** The problems, in the order found. */
  get list(): readonly string[] {
    return this.#list;
  }
}
