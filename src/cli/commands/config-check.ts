/**
 * `mycelium config check [FILE]`: loads a configuration exactly as `serve` would (file or
 * MYCELIUM_CONFIG or built-in defaults, then env overrides, then `--set` flags), prints the
 * effective configuration as TOML and the overrides applied, and exits 0; on failure prints
 * every problem to stderr and exits 1.
 */
import { type Command, InvalidArgumentError } from 'commander';
import {
  type ConfigOverride,
  configToToml,
  type Environment,
  type LoadedConfig,
  loadConfig,
  parseSetFlag,
  secretsSet,
} from '../../config/index.ts';
import { ConfigError, ERROR_CATALOG } from '../../errors.ts';

/** Where `config check` writes; the process streams by default, buffers in tests. */
export interface CheckIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Inputs of {@link runConfigCheck}. */
export interface CheckOptions {
  readonly file?: string;
  readonly overrides?: readonly ConfigOverride[];
  readonly env?: Environment;
}

const HEADLINES: Partial<Record<string, string>> = {
  CONFIG_READ: 'cannot read the configuration',
  CONFIG_PARSE: 'the configuration is not valid TOML',
  CONFIG_INVALID: 'the configuration is invalid',
};

function report(loaded: LoadedConfig): string {
  const lines = [
    `# Configuration OK: ${loaded.source}`,
    `# Overrides applied: ${loaded.applied.length === 0 ? 'none' : loaded.applied.join(', ')}`,
    ...secretsSet(loaded.config).map((key) => `# ${key} is set (not shown)`),
    '',
    configToToml(loaded.config),
  ];
  return lines.join('\n');
}

/**
 * Runs the check and returns the exit code: 0 when the configuration is valid, 1 when it is not
 * (every problem written to `io.stderr`). Errors other than configuration errors propagate.
 */
export async function runConfigCheck(options: CheckOptions, io: CheckIo = process): Promise<number> {
  try {
    const loaded = await loadConfig({
      ...(options.file === undefined ? {} : { file: options.file }),
      ...(options.env === undefined ? {} : { env: options.env }),
      overrides: options.overrides ?? [],
    });
    io.stdout.write(report(loaded));
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const headline = HEADLINES[error.code] ?? ERROR_CATALOG[error.code].description;
    const count = error.problems.length === 1 ? '1 problem' : `${error.problems.length} problems`;
    const body = error.problems.map((p) => `  - ${p}\n`).join('');
    io.stderr.write(`mycelium config check: ${headline} (${error.code}, ${count}):\n${body}`);
    return 1;
  }
}

function collectSet(argument: string, previous: ConfigOverride[] | undefined): ConfigOverride[] {
  try {
    return [...(previous ?? []), parseSetFlag(argument)];
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Adds `config check` to the program, creating the `config` parent command if needed. */
export function register(program: Command): void {
  const config =
    program.commands.find((c) => c.name() === 'config') ??
    program.command('config').description('check and inspect broker configurations');
  config
    .command('check')
    .description(
      'validate a configuration and print it as the broker would run it (file, then MYCELIUM_* env overrides, then --set)',
    )
    .argument('[file]', 'TOML file (default: $MYCELIUM_CONFIG, else the built-in defaults)')
    .option(
      '--set <key=value>',
      'override a key, e.g. server.port=0 or topics.orders.buffer_size=5000 (repeatable; wins over env)',
      collectSet,
    )
    .action(async (file: string | undefined, flags: { set?: ConfigOverride[] }) => {
      process.exitCode = await runConfigCheck({
        ...(file === undefined ? {} : { file }),
        overrides: flags.set ?? [],
      });
    });
}
