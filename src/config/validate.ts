/**
 * The core of every load: apply overrides to the raw document, validate it against the schema
 * and the cross-key rules, and either return the config or throw every problem at once.
 */
import { ConfigError } from '../errors.ts';
import { applyEnv, type Environment } from './env.ts';
import { reportIssues } from './issues.ts';
import { applyOverrides, type ConfigOverride } from './overrides.ts';
import { Problems } from './problems.ts';
import { checkRules } from './rules.ts';
import { type BrokerConfig, BrokerConfigSchema } from './schema.ts';
import type { TomlDocument } from './toml.ts';

/** The outcome of a successful build. */
export interface BuiltConfig {
  readonly config: BrokerConfig;
  /** Env variable names and flag sources that were applied, in the order applied. */
  readonly applied: readonly string[];
}

/**
 * Applies env overrides, then flag overrides, to `doc` (modified in place), then validates it.
 * `allowDefaults` is passed to the cross-key rules (see rules.ts).
 * @throws ConfigError CONFIG_INVALID listing every problem found
 */
export function buildConfig(
  doc: TomlDocument,
  env: Environment = {},
  overrides: readonly ConfigOverride[] = [],
  allowDefaults = false,
): BuiltConfig {
  const problems = new Problems();
  const applied: string[] = [];
  applyEnv(doc, env, problems, applied);
  applyOverrides(doc, overrides, problems, applied);
  const result = BrokerConfigSchema.safeParse(doc);
  if (!result.success) reportIssues(result.error.issues, doc, problems);
  checkRules(doc, problems, allowDefaults);
  if (!result.success || problems.size > 0) throw new ConfigError('CONFIG_INVALID', problems.list);
  return { config: result.data, applied };
}
