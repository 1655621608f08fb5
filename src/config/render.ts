/**
 * A validated configuration written back as TOML (what `mycelium config check` prints). The
 * output loads again to the same configuration, except that secrets are left out.
 */
import { stringify } from 'smol-toml';
import { AckMode } from '../broker/types.ts';
import { CONFIG_KEYS } from './keys.ts';
import { MANUAL_ACK_ONLY_KEYS, ROUTING_ONLY_KEYS } from './rules.ts';
import { type BrokerConfig, SETTING_SECTIONS, type TopicConfig, type TopicKey } from './schema.ts';

/** True when `key` means something for this topic (per-routing keys only apply under their routing). */
export function topicKeyApplies(topic: TopicConfig, key: TopicKey): boolean {
  const only = (ROUTING_ONLY_KEYS as Partial<Record<TopicKey, string>>)[key];
  if (only !== undefined && only !== topic.routing) return false;
  return !MANUAL_ACK_ONLY_KEYS.includes(key) || topic.ack === AckMode.Manual;
}

/** The keys of each section that are secrets and never printed. */
const SECRET_KEYS = new Set(CONFIG_KEYS.filter((k) => k.secret).map((k) => `${k.section}.${k.key}`));

/**
 * The configuration as TOML: every key with its effective value, per-routing keys only on the
 * topics they apply to (so the text loads again), secrets left out. Use {@link secretsSet} to
 * say which secrets were set.
 */
export function configToToml(config: BrokerConfig): string {
  const doc: Record<string, unknown> = {};
  for (const section of SETTING_SECTIONS) {
    const table: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config[section])) {
      if (value !== undefined && !SECRET_KEYS.has(`${section}.${key}`)) table[key] = value;
    }
    doc[section] = table;
  }
  // Arrays of tables go last so that TOML readers keep the plain sections apart from them.
  doc.topics = config.topics.map((topic) => {
    const entry: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(topic)) {
      if (topicKeyApplies(topic, key as TopicKey)) entry[key] = value;
    }
    return entry;
  });
  return stringify(doc);
}

/** The key paths of the secrets that have a value (e.g. `server.auth_token`), for a note beside the printed TOML. */
export function secretsSet(config: BrokerConfig): string[] {
  const set: string[] = [];
  for (const section of SETTING_SECTIONS) {
    for (const [key, value] of Object.entries(config[section])) {
      if (value !== undefined && SECRET_KEYS.has(`${section}.${key}`)) set.push(`${section}.${key}`);
    }
  }
  return set;
}
