/** Shared helpers for the config tests. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Environment, type ParseOptions, parseConfig } from '../../src/config/index.ts';
import { ConfigError, type ErrorCode } from '../../src/errors.ts';

/** Absolute path of the seed example. */
export const EXAMPLE_PATH = fileURLToPath(new URL('../../examples/broker.toml', import.meta.url));
/** The seed example's text. */
export const EXAMPLE_TEXT = readFileSync(EXAMPLE_PATH, 'utf8');

/** Runs `fn`, requires a ConfigError with `code`, and returns it. */
export function configError(fn: () => unknown, code: ErrorCode): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${code}; problems:\n${error.problems.join('\n')}`);
    return error;
  }
  assert.fail(`expected ConfigError ${code}, but nothing was thrown`);
}

/** Awaits `promise`, requires a ConfigError with `code`, and returns it. */
export async function configErrorAsync(promise: Promise<unknown>, code: ErrorCode): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    return configError(() => {
      throw error;
    }, code);
  }
  assert.fail(`expected ConfigError ${code}, but the promise resolved`);
}

/** The problems of a configuration text that must fail with CONFIG_INVALID. */
export function problemsOf(text: string, options: ParseOptions = {}): readonly string[] {
  return configError(() => parseConfig(text, options), 'CONFIG_INVALID').problems;
}

/** The problems of the seed example loaded with `env`, which must fail with CONFIG_INVALID. */
export function envProblems(env: Environment, text = EXAMPLE_TEXT): readonly string[] {
  return problemsOf(text, { env });
}

/** Requires a problem that starts with `prefix` and returns it. */
export function problemStartingWith(problems: readonly string[], prefix: string): string {
  const found = problems.find((p) => p.startsWith(prefix));
  assert.ok(
    found !== undefined,
    `no problem starts with ${JSON.stringify(prefix)}; got:\n${problems.join('\n')}`,
  );
  return found;
}

/** TOML for a topic named "t" with extra lines. */
export function topic(lines: string): string {
  return `[[topics]]\nname = "t"\n${lines}\n`;
}

/** TOML for a Queue topic named "t" with extra lines. */
export function queue(lines: string): string {
  return topic(`routing = "Queue"\n${lines}`);
}
