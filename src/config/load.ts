/**
 * Loading a configuration: read the file, parse TOML, apply env overrides, then flag overrides,
 * then validate. Precedence, lowest first: defaults < file < env < flags.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { BUILTIN_CONFIG_TOML } from './builtin.ts';
import { CONFIG_FILE_ENV, type Environment } from './env.ts';
import { MAX_CONFIG_FILE_BYTES } from './limits.ts';
import type { ConfigOverride } from './overrides.ts';
import type { BrokerConfig } from './schema.ts';
import { parseToml, type TomlDocument } from './toml.ts';
import { buildConfig } from './validate.ts';

/** The `source` of a configuration loaded without a file: {@link BUILTIN_CONFIG_TOML}. */
export const BUILTIN_SOURCE = 'built-in defaults';

/** Options of {@link loadConfig}. */
export interface LoadOptions {
  /** The TOML file. Without it, `MYCELIUM_CONFIG` names the file; without that, the built-in defaults apply. */
  readonly file?: string;
  /** Environment for `MYCELIUM_*` variables; defaults to `process.env`. */
  readonly env?: Environment;
  /** Flag overrides, applied last. */
  readonly overrides?: readonly ConfigOverride[];
}

/** A loaded configuration and where it came from. */
export interface LoadedConfig {
  readonly config: BrokerConfig;
  /** The absolute path of the file, or {@link BUILTIN_SOURCE}. */
  readonly source: string;
  /** The absolute path of the file (what a reload re-reads), or undefined for the built-in defaults. */
  readonly file: string | undefined;
  /** Env variable names and flag sources applied over the file, in the order applied. */
  readonly applied: readonly string[];
}

/** Options of {@link parseConfig}. */
export interface ParseOptions {
  /** Environment for `MYCELIUM_*` overrides; none are applied without it. */
  readonly env?: Environment;
  /** The file name used in parse errors (`broker.toml:3:7: ...`). */
  readonly source?: string;
  /** Flag overrides, applied after env overrides. */
  readonly overrides?: readonly ConfigOverride[];
}

function readReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file (ENOENT)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'ENOTDIR':
      return 'a part of the path is not a directory (ENOTDIR)';
    case 'ELOOP':
      return 'too many levels of symbolic links (ELOOP)';
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files (${code}); the process is out of file descriptors`;
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

async function readConfigFile(path: string, label: string): Promise<Buffer> {
  const fail = (text: string, cause?: unknown): never => {
    throw new ConfigError('CONFIG_READ', [`${label}: ${text}`], { cause });
  };
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    return fail(`cannot read the configuration file: ${readReason(error)}`, error);
  }
  if (info.isDirectory()) return fail('is a directory, not a configuration file');
  // A FIFO or a device could block a read forever or never end; only regular files are read.
  if (!info.isFile()) return fail('is not a regular file');
  if (info.size > MAX_CONFIG_FILE_BYTES) {
    return fail(`is ${info.size} bytes; a configuration file may be at most ${MAX_CONFIG_FILE_BYTES} bytes`);
  }
  try {
    return await readFile(path);
  } catch (error) {
    return fail(`cannot read the configuration file: ${readReason(error)}`, error);
  }
}

/**
 * Loads the configuration: the file (or `MYCELIUM_CONFIG`, or the built-in defaults), then env
 * overrides, then flag overrides, then validation.
 * @throws ConfigError CONFIG_READ (file missing, unreadable, a directory), CONFIG_PARSE (not
 *   UTF-8 or not TOML, with line and column) or CONFIG_INVALID (every problem, with its key path)
 */
export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const named = env[CONFIG_FILE_ENV];
  const fromEnv = options.file === undefined && named !== undefined && named !== '';
  const file = options.file ?? (fromEnv ? named : undefined);
  if (file === undefined) {
    const built = buildConfig(parseToml(BUILTIN_CONFIG_TOML, BUILTIN_SOURCE), env, options.overrides);
    return { ...built, source: BUILTIN_SOURCE, file: undefined };
  }
  const path = resolve(file);
  const bytes = await readConfigFile(path, fromEnv ? `${path} (named by ${CONFIG_FILE_ENV})` : path);
  const built = buildConfig(parseToml(bytes, path), env, options.overrides);
  return { ...built, source: path, file: path };
}

/**
 * Parses and validates configuration text (or UTF-8 bytes). Applies env overrides only if
 * `options.env` is given, so the result depends on nothing but the arguments.
 * @throws ConfigError CONFIG_PARSE or CONFIG_INVALID
 */
export function parseConfig(text: string | Uint8Array, options: ParseOptions = {}): BrokerConfig {
  return buildConfig(parseToml(text, options.source), options.env, options.overrides).config;
}

/**
 * Validates a configuration given as an object (the shape of the TOML, e.g. for an embedded
 * broker, or a loaded config edited with a spread), filling in defaults. Unlike a file, an
 * object may carry per-routing keys on topics where they do nothing, as long as they hold their
 * defaults, so `validateConfig(config)` accepts any config this module returned.
 * @throws ConfigError CONFIG_INVALID
 */
export function validateConfig(input: unknown): BrokerConfig {
  // The build writes nothing into the document when there are no overrides, so the input is safe.
  return buildConfig(input as TomlDocument, {}, [], true).config;
}

/** The built-in configuration: every key at its default, plus the starter topics of {@link BUILTIN_CONFIG_TOML}. */
export function defaultConfig(): BrokerConfig {
  return buildConfig(parseToml(BUILTIN_CONFIG_TOML, BUILTIN_SOURCE)).config;
}
