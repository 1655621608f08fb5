/**
 * A connection's heartbeat state (docs/protocol.md §6.5): silence is measured from the last read,
 * a silent peer gets a PING every interval, and after `heartbeat_max_missed` unanswered ones it is
 * presumed dead. Reads only set a flag; the server's sweep turns it into a time, so the read path
 * never reads the clock.
 */

/** What the sweep should do for a connection. */
export const HeartbeatAction = {
  None: 0,
  /** Send PING. */
  Ping: 1,
  /** Close with HEARTBEAT_TIMEOUT. */
  Timeout: 2,
} as const;
export type HeartbeatAction = (typeof HeartbeatAction)[keyof typeof HeartbeatAction];

export class Heartbeat {
  #heard = false;
  #lastHeardAt: number;
  #pingsOut = 0;

  /** @param now performance.now() when the connection was accepted */
  constructor(now: number) {
    this.#lastHeardAt = now;
  }

  /** Bytes arrived from the peer. */
  heard(): void {
    this.#heard = true;
  }

  /** The peer answered a PING. */
  pong(): void {
    this.#pingsOut = 0;
  }

  /** PINGs sent and not answered by anything yet. */
  get pingsOut(): number {
    return this.#pingsOut;
  }

  /**
   * The action due at `now`. `paused` (we stopped reading the peer) counts as hearing from it.
   * A `Ping` result counts the PING as sent.
   */
  check(now: number, intervalMs: number, maxMissed: number, paused: boolean): HeartbeatAction {
    if (this.#heard || paused) {
      this.#heard = false;
      this.#lastHeardAt = now;
      this.#pingsOut = 0;
      return HeartbeatAction.None;
    }
    if (now - this.#lastHeardAt < intervalMs * (this.#pingsOut + 1)) return HeartbeatAction.None;
    if (this.#pingsOut >= maxMissed) return HeartbeatAction.Timeout;
    this.#pingsOut++;
    return HeartbeatAction.Ping;
  }
}
