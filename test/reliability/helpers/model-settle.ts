/**
 * The end of a D4 sequence, where the model's promises are cashed in (RELIABILITY.md D4):
 * (a) queue: with every reader resumed, a drainer consumer added and every delivery acked, each
 *     confirmed message on the manual topic has been acked by the model, and the server's books
 *     agree that every accepted message was acked exactly once (published = acked = the messages
 *     the model acked); on the ack "none" topic every confirmed message arrived, unless a consumer
 *     left while deliveries could be on their way (at most once: it may then be lost); on every
 *     topic, each PUB sent was accepted or refused, except some sent on connections the model
 *     killed (the server reads everything before a FIN);
 * (b) fanout: a confirmed fence published last reaches every live subscription, so every seq from
 *     its SUB_ACK on was delivered or reported LAGGED (checked in order as they came);
 * (c) every connection is then closed by the model, and the server must report each close as
 *     CLIENT_CLOSED of a connection the model had closed or killed (checked as the events come).
 * Publishers' order: on every topic, one connection's accepted messages have increasing seqs.
 */
import fc from 'fast-check';
import type { Cmd } from './model-commands.ts';
import type { ModelServer, Settings } from './model-server.ts';
import { MsgStatus, type TopicModel } from './model-types.ts';
import { type Coverage, World } from './model-world.ts';

/** How long a sequence may take to settle before it counts as stuck (a hang guard, not a bar). */
const SETTLE_GUARD_MS = 10_000;
/** How long the closes at the end may take. */
const CLOSE_GUARD_MS = 10_000;

/** Resolves true once `check()` holds, polling each millisecond; false after `ms`. */
export async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return true;
}

/**
 * Runs one sequence on fresh topics: the commands, then the end checks and the closes, whatever
 * happened; throws the violations seen. `onWorld` learns the world (for server close events).
 */
export async function runSequence(
  h: ModelServer,
  run: number,
  settings: Settings,
  cmds: Iterable<Cmd>,
  coverage: Coverage,
  onWorld: (w: World | undefined) => void,
): Promise<void> {
  const w = new World(h, run, settings, coverage);
  onWorld(w);
  await w.start();
  try {
    await fc.asyncModelRun(() => ({ model: w, real: w }), cmds);
    await settle(w);
  } finally {
    await closeAll(w);
    onWorld(undefined);
  }
  w.throwIfViolated();
}

/** Drives the sequence to quiescence and checks (a) and (b); violations go to the world. */
export async function settle(w: World): Promise<void> {
  w.thawAll();
  for (const conn of w.live()) {
    conn.draining = true;
    for (const { sub, msg } of w.held(conn)) w.ack(conn, sub, msg);
  }
  const drainer = await w.open(-1);
  drainer.draining = true;
  w.subscribe(drainer, w.manual);
  w.subscribe(drainer, w.none);
  const [fence] = w.publish(drainer, w.fanout, true, 1, 8);
  const done = await waitFor(() => settled(w, fence?.seq), SETTLE_GUARD_MS);
  if (!done) {
    w.fail(`did not settle within ${SETTLE_GUARD_MS} ms: ${describe(w, fence?.seq)}`);
    return;
  }
  // Every frame the server queued before these PONGs has been read (ERRs for acks included).
  await Promise.all(w.live().map((c) => c.client.ping()));
  checkFanout(w, fence?.seq ?? 0);
  for (const topic of w.topics) checkAccounted(w, topic);
  checkManual(w);
  checkNone(w);
  checkPublisherOrder(w);
}

function settled(w: World, fenceSeq: number | undefined): boolean {
  if (fenceSeq === undefined) return false;
  for (const conn of w.live()) {
    if (conn.pending.size > 0) return false;
    for (const sub of conn.subs.values()) {
      if (!sub.subAcked || (sub.ending && !sub.unsubAcked)) return false;
    }
  }
  const m = w.stats(w.manual);
  // maxLag 0: the broker has handed every fanout message to every subscription's connection.
  return m.depth === 0 && m.inFlight === 0 && w.stats(w.none).depth === 0 && w.stats(w.fanout).maxLag === 0;
}

function describe(w: World, fenceSeq: number | undefined): string {
  const m = w.stats(w.manual);
  const parts = [`fence seq ${fenceSeq}`, `manual depth ${m.depth} in flight ${m.inFlight}`];
  parts.push(`none depth ${w.stats(w.none).depth}`);
  for (const conn of w.live()) {
    if (conn.pending.size > 0) parts.push(`${conn.name} awaits ${conn.pending.size} confirms`);
    for (const sub of conn.subs.values()) {
      if (!sub.subAcked) parts.push(`${conn.name} sid ${sub.sid} has no SUB_ACK`);
      else if (sub.ending && !sub.unsubAcked) parts.push(`${conn.name} sid ${sub.sid} has no UNSUB_ACK`);
    }
  }
  parts.push(`fanout max lag ${w.stats(w.fanout).maxLag}`);
  return parts.join('; ');
}

/** (b): the fence, published last, reached every live fanout subscription (so did all before it). */
function checkFanout(w: World, fenceSeq: number): void {
  for (const conn of w.live()) {
    for (const sub of conn.subs.values()) {
      if (sub.topic === w.fanout && !sub.ending && sub.expect <= fenceSeq) {
        w.fail(
          `fanout: ${conn.name} sid ${sub.sid} heard up to seq ${sub.expect - 1}, the fence is ${fenceSeq}`,
        );
      }
    }
  }
}

function messagesOf(w: World, topic: TopicModel) {
  return [...w.msgs.values()].filter((m) => m.topic === topic);
}

/**
 * Every PUB the server read was accepted or refused, and it reads every PUB sent before a FIN:
 * only those sent on connections the model killed may be missing from its books.
 */
function checkAccounted(w: World, topic: TopicModel): void {
  const s = w.stats(topic);
  const accounted = s.published + s.rejected;
  if (accounted > topic.pubsSent || accounted < topic.pubsSent - topic.pubsAtRisk) {
    w.fail(
      `${topic.name}: ${s.published} accepted + ${s.rejected} refused of ${topic.pubsSent} PUBs sent, ${topic.pubsAtRisk} of them on killed connections`,
    );
  }
}

/** (a) on the manual topic: confirmed ⊆ acked, and the server acked each accepted message once. */
function checkManual(w: World): void {
  const msgs = messagesOf(w, w.manual);
  const acked = msgs.filter((m) => m.ackedOn !== undefined).length;
  for (const m of msgs) {
    if (m.status === MsgStatus.Confirmed && m.ackedOn === undefined) {
      w.fail(`manual: confirmed message ${m.id} (seq ${m.seq}) was never delivered for the model to ack`);
    }
  }
  const s = w.stats(w.manual);
  if (s.published !== acked || s.acked !== acked) {
    w.fail(
      `manual: the server accepted ${s.published} and counted ${s.acked} acks; the model acked ${acked}`,
    );
  }
}

/** (a) on the ack "none" topic: confirmed ⊆ delivered unless a consumer left mid-delivery. */
function checkNone(w: World): void {
  const t = w.none;
  const msgs = messagesOf(w, t);
  const received = msgs.filter((m) => m.receipts > 0).length;
  const s = w.stats(t);
  if (received > s.published) w.fail(`none: ${received} messages received, ${s.published} accepted`);
  if (t.lossPossible) return;
  for (const m of msgs) {
    if (m.status === MsgStatus.Confirmed && m.receipts === 0) {
      w.fail(`none: confirmed message ${m.id} (seq ${m.seq}) never delivered, and no consumer left`);
    }
  }
  if (received !== s.published) w.fail(`none: ${received} messages received, ${s.published} accepted`);
}

/** A connection's frames are handled in order (§6.1.6), so its messages get increasing seqs. */
function checkPublisherOrder(w: World): void {
  const last = new Map<string, { id: number; seq: number }>();
  for (const m of [...w.msgs.values()].sort((a, b) => a.id - b.id)) {
    if (m.seq === undefined) continue;
    const key = `${m.conn.name} ${m.topic.name}`;
    const before = last.get(key);
    if (before !== undefined && before.seq >= m.seq) {
      w.fail(`${key}: message ${m.id} got seq ${m.seq}, after message ${before.id} got ${before.seq}`);
    }
    last.set(key, { id: m.id, seq: m.seq });
  }
}

/** Closes every connection gracefully and waits for both ends to see it (close reasons: (c)). */
export async function closeAll(w: World): Promise<void> {
  w.thawAll();
  for (const conn of w.conns.values()) w.close(conn, false);
  const all = [...w.conns.values()];
  const closed = await waitFor(
    () => all.every((c) => c.client.isClosed && c.serverReason !== undefined),
    CLOSE_GUARD_MS,
  );
  if (!closed) {
    const open = all.filter((c) => !c.client.isClosed || c.serverReason === undefined).map((c) => c.name);
    w.fail(`connections not closed within ${CLOSE_GUARD_MS} ms: ${open.join(', ')}`);
    for (const c of all) c.client.kill();
  }
}
