/**
 * What a configuration reload did, as data (the `reload` event, `MyceliumServer.reload()`'s
 * result) and as text (the log line, the RELOAD_RESULT frame, `mycelium reload`). Change lines come
 * from the config layer's `describeChange`, so a secret is never written out, only that it changed.
 */
import type { ConfigError, ErrorCode } from '../errors.ts';

/** How a reload ended. */
export const ReloadOutcome = {
  /** The new configuration was valid and reloadable; its changes are in force. */
  Applied: 'applied',
  /** The new configuration was valid and the same as the running one: nothing was done. */
  Unchanged: 'unchanged',
  /** The new configuration was invalid or not reloadable; the running one was kept untouched. */
  Rejected: 'rejected',
} as const;
export type ReloadOutcome = (typeof ReloadOutcome)[keyof typeof ReloadOutcome];

/** What removing one topic ended and dropped (never silent: it is in the report and the log). */
export interface RemovedTopic {
  readonly name: string;
  /** Subscriptions ended; each subscriber got ERR TOPIC_DELETED and kept its connection. */
  readonly subscriptions: number;
  /** Queue messages that were waiting for a consumer and are gone. */
  readonly droppedQueued: number;
  /** Queue deliveries that were in flight, unacked, and are gone (nobody can ack them now). */
  readonly droppedUnacked: number;
}

/** The report of one reload: the payload of the server's `reload` event. */
export interface ReloadReport {
  readonly outcome: ReloadOutcome;
  /** What asked for the reload: `SIGHUP`, `file watch`, `admin op`, `api`. */
  readonly trigger: string;
  /** Where the new configuration came from: a file path, or `a configuration object`. */
  readonly source: string;
  /** One line per change (`server.max_connections: 1000 -> 50`); empty unless applied. */
  readonly changes: readonly string[];
  /** What applying the changes did beyond setting values (topics removed and what that dropped). */
  readonly effects: readonly string[];
  /** Topics the reload removed, with what that ended and dropped. */
  readonly removedTopics: readonly RemovedTopic[];
  /** Why the reload was rejected, one line per problem; empty unless rejected. */
  readonly problems: readonly string[];
  /** Why the reload was rejected, as a catalog code (CONFIG_*, or SHUTTING_DOWN); unset otherwise. */
  readonly code?: ErrorCode;
  /** The error behind a rejection, for callers that throw it. */
  readonly error?: ConfigError;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One line about a removed topic: what ended and what was dropped. */
export function describeRemoval(t: RemovedTopic): string {
  const dropped =
    t.droppedQueued === 0 && t.droppedUnacked === 0
      ? 'no messages dropped'
      : `${plural(t.droppedQueued, 'waiting message')} and ${plural(t.droppedUnacked, 'unacked delivery', 'unacked deliveries')} dropped`;
  return `topic ${JSON.stringify(t.name)} removed: ${plural(t.subscriptions, 'subscription')} ended with TOPIC_DELETED, ${dropped}`;
}

/** The first line of a report's text. */
export function reportSummary(r: ReloadReport): string {
  switch (r.outcome) {
    case ReloadOutcome.Applied:
      return `reload applied (${r.trigger}): ${plural(r.changes.length, 'change')} from ${r.source}`;
    case ReloadOutcome.Unchanged:
      return `reload unchanged (${r.trigger}): ${r.source} holds the running configuration`;
    case ReloadOutcome.Rejected:
      return `reload rejected (${r.trigger}, ${r.code}): the running configuration is unchanged`;
  }
}

/** The whole report as text: the summary, then one indented line per change, effect or problem. */
export function formatReport(r: ReloadReport): string {
  const lines = [reportSummary(r), ...[...r.changes, ...r.effects, ...r.problems].map((l) => `  ${l}`)];
  return lines.join('\n');
}

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes at a line boundary, ending with a line that says
 * how many lines were left out, so a cut report never looks complete.
 */
export function fitReport(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const lines = text.split('\n');
  for (let keep = lines.length - 1; keep >= 1; keep--) {
    const cut = `${lines.slice(0, keep).join('\n')}\n  ... ${plural(lines.length - keep, 'more line')} in the server log`;
    if (Buffer.byteLength(cut) <= maxBytes) return cut;
  }
  // Not even the summary and that line fit (a very long path, or a tiny limit): the summary alone,
  // cut at a character, so no half line of detail passes for a whole one.
  const bytes = Buffer.from(lines[0]!, 'utf8');
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
