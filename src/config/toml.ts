/**
 * TOML text (or bytes) to a plain document, with syntax errors reported as CONFIG_PARSE at a line
 * and column. Integers become numbers (or stay bigints when too large to be exact, so the schema
 * refuses them), floats are wrapped in {@link TomlFloat} so that no integer key accepts one.
 */
import { parse, TomlError } from 'smol-toml';
import { ConfigError } from '../errors.ts';
import { TomlFloat } from './problems.ts';

/** A parsed TOML table (own properties only; tables have no prototype). */
export type TomlDocument = Record<string, unknown>;

const REASON_PREFIX = 'Invalid TOML document: ';

function where(source: string | undefined, line: number, column: number): string {
  return source === undefined ? `line ${line}, column ${column}` : `${source}:${line}:${column}`;
}

/** The line and column of the first byte that is not valid UTF-8. */
function firstInvalidUtf8(bytes: Uint8Array): { line: number; column: number } {
  // The valid prefix survives a lossy decode and re-encode unchanged; the first mismatch is the bad byte.
  const again = Buffer.from(new TextDecoder('utf-8').decode(bytes));
  let offset = 0;
  while (offset < bytes.length && bytes[offset] === again[offset]) offset++;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function decode(input: string | Uint8Array, source: string | undefined): string {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    const at = firstInvalidUtf8(input);
    throw new ConfigError('CONFIG_PARSE', [
      `${where(source, at.line, at.column)}: not valid UTF-8 (a TOML file must be UTF-8 text)`,
    ]);
  }
}

/** Rewrites parser values in place into what the schema expects (see the module comment). */
function normalize(root: TomlDocument): void {
  // Iterative, so a deeply nested document cannot exhaust the stack.
  const pending: (TomlDocument | unknown[])[] = [root];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    const container = node as Record<PropertyKey, unknown>;
    for (const key of Object.keys(node)) {
      const value = container[key];
      if (typeof value === 'bigint') {
        const asNumber = Number(value);
        if (Number.isSafeInteger(asNumber)) container[key] = asNumber;
      } else if (typeof value === 'number') {
        container[key] = new TomlFloat(value);
      } else if (Array.isArray(value)) {
        pending.push(value);
      } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
        pending.push(value as TomlDocument);
      }
    }
  }
}

/**
 * Parses TOML text or UTF-8 bytes into a document.
 * @param source the file name used in messages (`broker.toml:3:7: ...`); without it, `line 3, column 7: ...`
 * @throws ConfigError CONFIG_PARSE for invalid UTF-8 or invalid TOML
 */
export function parseToml(input: string | Uint8Array, source?: string): TomlDocument {
  const text = decode(input, source);
  let doc: TomlDocument;
  try {
    // Integers as bigints, so they stay apart from floats (which the parser gives as numbers).
    doc = parse(text, { integersAsBigInt: true }) as TomlDocument;
  } catch (error) {
    if (error instanceof TomlError) {
      const firstLine = error.message.split('\n', 1)[0] ?? error.message;
      const reason = firstLine.startsWith(REASON_PREFIX) ? firstLine.slice(REASON_PREFIX.length) : firstLine;
      throw new ConfigError('CONFIG_PARSE', [`${where(source, error.line, error.column)}: ${reason}`], {
        cause: error,
      });
    }
    // The parser only means to throw TomlError; anything else is still a document it could not read.
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError('CONFIG_PARSE', [`${source ?? 'configuration'}: not valid TOML (${reason})`], {
      cause: error,
    });
  }
  normalize(doc);
  return doc;
}
