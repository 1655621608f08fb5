/**
 * A confirmed publisher with a window of outstanding publishes: it sends as fast as confirms come
 * back (and, when a gate is given, as fast as the slowest reader it watches), and keeps exactly
 * which publishes were accepted (PUBACK, with their seq) and which were refused (ERR, with code).
 */
import type { ErrorCode } from '../../../src/errors.ts';
import { encodePub, Op } from '../../../src/protocol/index.ts';
import { guard, type WireClient } from './wire-client.ts';

export interface PublishOptions {
  /** Outstanding publishes at most (default 256). */
  readonly window?: number;
  /** Sends only while this returns true (checked again on every confirm and every 2 ms). */
  readonly gate?: () => boolean;
  /** Stops sending after the first refusal with this code (e.g. SHUTTING_DOWN). */
  readonly stopOn?: ErrorCode;
  /** Hang guard for the whole run (default 10 minutes). */
  readonly guardMs?: number;
}

export class ConfirmPublisher {
  /** confirm id -> accepted seq. Confirm ids are 1 + the publish index. */
  readonly confirmed = new Map<number, number>();
  /** confirm id -> refusal code. */
  readonly refused = new Map<number, ErrorCode | number>();
  sent = 0;
  stopped = false;
  readonly #client: WireClient;
  readonly #topic: string;

  constructor(client: WireClient, topic: string) {
    this.#client = client;
    this.#topic = topic;
  }

  /** Publishes not answered (yet): sent minus confirmed minus refused. */
  get unanswered(): number {
    return this.sent - this.confirmed.size - this.refused.size;
  }

  /** Stops sending; `run` resolves once what was sent is answered or the connection closes. */
  stop(): void {
    this.stopped = true;
  }

  /** Publishes `count` messages made by `payload(i)`; resolves when all sent ones are answered or the connection closed. */
  run(count: number, payload: (i: number) => Buffer, options: PublishOptions = {}): Promise<void> {
    const window = options.window ?? 256;
    const client = this.#client;
    return guard(
      new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        // A listener removed at the end, not a `closed.then`: a client reused for many runs must
        // not keep every finished run alive.
        const onClose = (): void => finish();
        const finish = (): void => {
          clearInterval(timer);
          client.socket.off('close', onClose);
          resolve();
        };
        const pump = (): void => {
          const done = this.stopped || this.sent >= count;
          if (client.isClosed || (done && this.unanswered === 0)) {
            finish();
            return;
          }
          if (done) return;
          client.socket.cork();
          while (
            this.sent < count &&
            !this.stopped &&
            this.unanswered < window &&
            (options.gate?.() ?? true)
          ) {
            const i = this.sent++;
            client.send(encodePub(this.#topic, payload(i), i + 1));
          }
          client.socket.uncork();
        };
        client.handlers = {
          ...client.handlers,
          onPubAck: (id, seq) => {
            this.confirmed.set(id, seq);
            pump();
          },
          onErr: (err) => {
            if (err.refOp !== Op.PUB) return;
            this.refused.set(err.ref, err.code);
            if (options.stopOn !== undefined && err.code === options.stopOn) this.stopped = true;
            pump();
          },
        };
        client.socket.once('close', onClose);
        timer = setInterval(pump, 2);
        pump();
      }),
      options.guardMs ?? 600_000,
      `publishing ${count} messages to ${this.#topic}`,
    );
  }
}
