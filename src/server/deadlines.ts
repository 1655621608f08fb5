/**
 * The deadlines the server's sweep checks on each connection (handshake, write, heartbeat), so no
 * connection keeps timers of its own. Each one closes the connection with the error that names the
 * config key it ran out of.
 */
import { PING_FRAME_SIZE, writePing } from '../protocol/index.ts';
import { SlowConsumerDetail } from './close-reason.ts';
import type { Connection } from './connection.ts';
import { type Heartbeat, HeartbeatAction } from './heartbeat.ts';

/** Before the handshake: closes `c` once connection_timeout_ms passed since it was accepted. */
export function checkHandshakeDeadline(c: Connection, openedAt: number, now: number): void {
  const ms = c.ctx.limits.connectionTimeoutMs;
  // An absolute deadline from accept: bytes dribbled in do not extend it (RELIABILITY.md A3).
  if (now - openedAt >= ms) c.fail('HANDSHAKE_TIMEOUT', `no HELLO within connection_timeout_ms (${ms} ms)`);
}

/**
 * After the handshake: closes `c` when its socket accepted nothing for write_deadline_ms, or when
 * its peer left heartbeat_max_missed PINGs unanswered; sends the PING that is due. `holding` (a PUB
 * held for a full block-policy topic) counts as hearing from the peer: we stopped reading it.
 */
export function checkOpenDeadlines(c: Connection, heartbeat: Heartbeat, holding: boolean, now: number): void {
  const l = c.ctx.limits;
  const w = c.writer;
  if (w.stalledFor(now) >= l.writeDeadlineMs) {
    const text = `the socket accepted nothing for write_deadline_ms (${l.writeDeadlineMs} ms)`;
    c.fail('SLOW_CONSUMER', text, SlowConsumerDetail.WriteDeadline);
    return;
  }
  const action = heartbeat.check(now, l.heartbeatIntervalMs, l.heartbeatMaxMissed, holding);
  if (action === HeartbeatAction.Timeout) {
    const text = `no reply to ${heartbeat.pingsOut} PINGs ${l.heartbeatIntervalMs} ms apart`;
    c.fail('HEARTBEAT_TIMEOUT', text);
  } else if (action === HeartbeatAction.Ping) {
    const at = w.reserve(PING_FRAME_SIZE);
    writePing(w.chunk, at);
    w.commit(PING_FRAME_SIZE);
  }
}
