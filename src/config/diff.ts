/**
 * The difference between two validated configurations, as typed changes a reload can apply one
 * by one, each marked reloadable or not (reloadable.ts). A reload applies all or nothing:
 * {@link planReload} refuses the whole change set if any change needs a restart.
 */
import { ConfigError } from '../errors.ts';
import { RELOADABLE, TOPIC_ADD_REMOVE_RELOADABLE } from './reloadable.ts';
import {
  type BrokerConfig,
  SETTING_SECTIONS,
  type SettingSection,
  type TopicConfig,
  type TopicKey,
} from './schema.ts';
import { findKey } from './keys.ts';

/** A topic key other than `name` (a new name is a removal plus an addition). */
export type TopicField = Exclude<TopicKey, 'name'>;

/** A topic declared in `next` but not in `old`. */
export interface TopicAdded {
  readonly kind: 'topic_added';
  readonly topic: TopicConfig;
  readonly reloadable: boolean;
}

/** A topic declared in `old` but not in `next`. */
export interface TopicRemoved {
  readonly kind: 'topic_removed';
  readonly name: string;
  readonly reloadable: boolean;
}

/** One field of a topic present in both, changed; `from`/`to` are typed by `field`. */
export type TopicChanged = {
  [F in TopicField]: {
    readonly kind: 'topic_changed';
    readonly name: string;
    readonly field: F;
    readonly from: TopicConfig[F];
    readonly to: TopicConfig[F];
    readonly reloadable: boolean;
  };
}[TopicField];

/** One key of a table section, changed; `from`/`to` are typed by `section` and `key`. */
export type SettingChanged = {
  [S in SettingSection]: {
    [K in keyof BrokerConfig[S]]-?: {
      readonly kind: 'setting_changed';
      readonly section: S;
      readonly key: K;
      readonly from: BrokerConfig[S][K];
      readonly to: BrokerConfig[S][K];
      readonly reloadable: boolean;
    };
  }[keyof BrokerConfig[S]];
}[SettingSection];

/** One difference between two configurations. */
export type ConfigChange = TopicAdded | TopicRemoved | TopicChanged | SettingChanged;

type Loose = Record<string, unknown>;

/**
 * Every difference from `old` to `next`: settings first (server, performance, metrics, in key
 * order), then topics removed, then topics added or changed (in `next`'s order). Topics are
 * matched by name. Pure: reads both configs, changes neither.
 */
export function diffConfig(old: BrokerConfig, next: BrokerConfig): ConfigChange[] {
  const changes: ConfigChange[] = [];
  for (const section of SETTING_SECTIONS) {
    const before = old[section] as Loose;
    const after = next[section] as Loose;
    const flags = RELOADABLE[section] as Record<string, boolean>;
    for (const key of Object.keys(flags)) {
      if (before[key] === after[key]) continue;
      changes.push({
        kind: 'setting_changed',
        section,
        key,
        from: before[key],
        to: after[key],
        reloadable: flags[key] === true,
      } as SettingChanged);
    }
  }
  const oldByName = new Map(old.topics.map((t) => [t.name, t]));
  const nextNames = new Set(next.topics.map((t) => t.name));
  for (const topic of old.topics) {
    if (!nextNames.has(topic.name)) {
      changes.push({ kind: 'topic_removed', name: topic.name, reloadable: TOPIC_ADD_REMOVE_RELOADABLE });
    }
  }
  for (const topic of next.topics) {
    const before = oldByName.get(topic.name);
    if (before === undefined) {
      changes.push({ kind: 'topic_added', topic, reloadable: TOPIC_ADD_REMOVE_RELOADABLE });
      continue;
    }
    for (const field of Object.keys(RELOADABLE.topics) as TopicKey[]) {
      if (field === 'name' || before[field] === topic[field]) continue;
      changes.push({
        kind: 'topic_changed',
        name: topic.name,
        field,
        from: before[field],
        to: topic[field],
        reloadable: RELOADABLE.topics[field],
      } as TopicChanged);
    }
  }
  return changes;
}

function show(value: unknown): string {
  return value === undefined ? '(unset)' : typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function subject(change: ConfigChange): string {
  switch (change.kind) {
    case 'setting_changed':
      return `${change.section}.${String(change.key)}`;
    case 'topic_changed':
      return `topic ${JSON.stringify(change.name)} ${change.field}`;
    case 'topic_added':
      return `topic ${JSON.stringify(change.topic.name)}`;
    case 'topic_removed':
      return `topic ${JSON.stringify(change.name)}`;
  }
}

function detail(change: ConfigChange): string {
  switch (change.kind) {
    case 'topic_added':
      return `added (${change.topic.routing})`;
    case 'topic_removed':
      return 'removed';
    case 'topic_changed':
      return `${show(change.from)} -> ${show(change.to)}`;
    case 'setting_changed': {
      // Secrets are never written out: say only that one was set, changed or removed.
      if (findKey(change.section, String(change.key))?.secret === true) {
        return change.from === undefined ? 'set' : change.to === undefined ? 'removed' : 'changed';
      }
      return `${show(change.from)} -> ${show(change.to)}`;
    }
  }
}

/** One line for a log: `server.max_connections: 1000 -> 50`, `topic "orders": added (Queue)`. Secrets are not shown. */
export function describeChange(change: ConfigChange): string {
  return `${subject(change)}: ${detail(change)}`;
}

/**
 * The changes from `current` to `next`, if a running broker can apply all of them.
 * @throws ConfigError CONFIG_NOT_RELOADABLE listing each change that needs a restart
 */
export function planReload(current: BrokerConfig, next: BrokerConfig): ConfigChange[] {
  const changes = diffConfig(current, next);
  const refused = changes.filter((c) => !c.reloadable);
  if (refused.length > 0) {
    throw new ConfigError(
      'CONFIG_NOT_RELOADABLE',
      refused.map((c) => `${subject(c)}: cannot change without a restart (${detail(c)})`),
    );
  }
  return changes;
}
