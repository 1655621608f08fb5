/**
 * A canary: one publisher with confirms and one subscriber on a side topic, running while a test
 * attacks the server. Its stream must show no gap: every confirmed seq arrives, in order, and no
 * LAGGED. Used by P1, P2 and P4 (RELIABILITY.md: "heartbeat publisher and subscriber").
 */
import { encodePub } from '../../../src/protocol/index.ts';
import { type Target, WireClient } from './wire-client.ts';

/** How often the canary publishes. */
const EVERY_MS = 5;

export class Canary {
  readonly #pub: WireClient;
  readonly #sub: WireClient;
  readonly #timer: NodeJS.Timeout;
  readonly #confirmed: number[] = [];
  #expected = 0;
  #gaps = 0;
  #received = 0;
  #sent = 0;

  private constructor(pub: WireClient, sub: WireClient, topic: string) {
    this.#pub = pub;
    this.#sub = sub;
    pub.handlers = { onPubAck: (_id, seq) => this.#confirmed.push(seq) };
    sub.handlers = {
      onMsg: (_sid, seq) => {
        if (this.#expected !== 0 && seq !== this.#expected) this.#gaps++;
        this.#expected = seq + 1;
        this.#received++;
      },
      onLagged: () => {
        this.#gaps++;
      },
    };
    const payload = Buffer.from('canary');
    this.#timer = setInterval(() => pub.send(encodePub(topic, payload, ++this.#sent)), EVERY_MS);
  }

  /** Starts a subscriber on `subTarget` and a publisher on `pubTarget`. */
  static async start(subTarget: Target, pubTarget: Target, topic: string): Promise<Canary> {
    const sub = await WireClient.ready(subTarget, { name: 'canary-sub' });
    await sub.subscribe(1, topic);
    const pub = await WireClient.ready(pubTarget, { name: 'canary-pub' });
    return new Canary(pub, sub, topic);
  }

  /**
   * Stops publishing and waits for the last confirmed messages; the gap count includes any
   * confirmed seq the subscriber never got and any connection of the canary that was closed.
   */
  async stop(): Promise<{ gaps: number; received: number }> {
    clearInterval(this.#timer);
    const deadline = Date.now() + 10_000;
    while (
      (this.#confirmed.length < this.#sent || this.#expected <= (this.#confirmed.at(-1) ?? 0)) &&
      Date.now() < deadline
    ) {
      if (this.#pub.isClosed || this.#sub.isClosed) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const last = this.#confirmed.at(-1) ?? 0;
    const missing = this.#expected > last ? 0 : last - Math.max(this.#expected, 1) + 1;
    const closed = (this.#pub.isClosed ? 1 : 0) + (this.#sub.isClosed ? 1 : 0);
    return {
      gaps: this.#gaps + missing + closed + (this.#sent - this.#confirmed.length),
      received: this.#received,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#pub.destroy();
    this.#sub.destroy();
  }
}
