/**
 * The configuration layer's public surface: load and validate a broker configuration, override
 * it from the environment and flags, and compare two configurations for a hot reload.
 * Nothing here starts or stops anything.
 */
export {
  type ConfigChange,
  describeChange,
  diffConfig,
  planReload,
  type SettingChanged,
  type TopicAdded,
  type TopicChanged,
  type TopicField,
  type TopicRemoved,
} from './diff.ts';
export { CONFIG_FILE_ENV, type Environment } from './env.ts';
export {
  CONFIG_KEYS,
  type ConfigKey,
  type ConfigValue,
  ENV_PREFIX,
  ENV_SEPARATOR,
  ENV_TOPIC_PLACEHOLDER,
  findKey,
  type KeyType,
} from './keys.ts';
export * from './limits.ts';
export {
  BUILTIN_SOURCE,
  defaultConfig,
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
  type ParseOptions,
  parseConfig,
  validateConfig,
} from './load.ts';
export { type ConfigOverride, parseSetFlag } from './overrides.ts';
export { RELOADABLE, TOPIC_ADD_REMOVE_RELOADABLE } from './reloadable.ts';
export { configToToml, secretsSet, topicKeyApplies } from './render.ts';
export { ROUTING_ONLY_KEYS } from './rules.ts';
export {
  type BrokerConfig,
  type BrokerConfigInput,
  BrokerConfigSchema,
  type MetricsConfig,
  type MetricsKey,
  type PerformanceConfig,
  type PerformanceKey,
  SECTIONS,
  type Section,
  type ServerConfig,
  type ServerKey,
  SETTING_SECTIONS,
  type SettingSection,
  type TopicConfig,
  type TopicKey,
} from './schema.ts';
export { TOPIC_NAME_CHARACTERS, validateTopicName } from '../topic-name.ts';
