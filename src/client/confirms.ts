import type { MyceliumError } from '../errors.ts';
import { MAX_ID } from '../protocol/index.ts';

/** One publish waiting for its PUBACK or ERR. */
class PendingConfirm {
  readonly resolve: (seq: number) => void;
  readonly reject: (error: MyceliumError) => void;
  /** True while the PUB sits in the reconnect buffer: it has not reached any server yet. */
  parked: boolean;

  constructor(resolve: (seq: number) => void, reject: (error: MyceliumError) => void, parked: boolean) {
    this.resolve = resolve;
    this.reject = reject;
    this.parked = parked;
  }
}

/**
 * Publishes waiting for the server's answer, by confirm id. Ids are unique within a client and
 * never 0 (0 on the wire means "no confirm").
 */
export class Confirms {
  readonly #pending = new Map<number, PendingConfirm>();
  #lastId = 0;
  #idleWaiters: Array<() => void> = [];

  /** Publishes not yet answered. */
  get size(): number {
    return this.#pending.size;
  }

  /** Registers a publish; returns its confirm id and the promise its answer settles. */
  add(parked: boolean): { id: number; promise: Promise<number> } {
    let id = this.#lastId;
    do id = id >= MAX_ID ? 1 : id + 1;
    while (this.#pending.has(id));
    this.#lastId = id;
    let entry: PendingConfirm | undefined;
    const promise = new Promise<number>((resolve, reject) => {
      entry = new PendingConfirm(resolve, reject, parked);
    });
    this.#pending.set(id, entry!);
    return { id, promise };
  }

  /** PUBACK: the broker accepted the message as `seq`. False for an id nobody waits for. */
  accept(id: number, seq: number): boolean {
    const entry = this.#take(id);
    entry?.resolve(seq);
    return entry !== undefined;
  }

  /** ERR answering a PUB. False for an id nobody waits for. */
  refuse(id: number, error: MyceliumError): boolean {
    const entry = this.#take(id);
    entry?.reject(error);
    return entry !== undefined;
  }

  /**
   * The connection dropped: publishes that were sent on it may or may not have been accepted, so
   * they are rejected with `error`; parked ones stay for the next connection.
   */
  connectionLost(error: MyceliumError): void {
    for (const [id, entry] of this.#pending) {
      if (!entry.parked) {
        this.#pending.delete(id);
        entry.reject(error);
      }
    }
    this.#settleIdle();
  }

  /** The reconnect buffer is being sent: its publishes are now on the wire. */
  unpark(): void {
    for (const entry of this.#pending.values()) entry.parked = false;
  }

  /** Rejects every publish still waiting (the client is closing for good). */
  rejectAll(error: MyceliumError): void {
    const entries = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of entries) entry.reject(error);
    this.#settleIdle();
  }

  /** Resolves once no publish is waiting for an answer. */
  idle(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #take(id: number): PendingConfirm | undefined {
    const entry = this.#pending.get(id);
    if (entry === undefined) return undefined;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#settleIdle();
    return entry;
  }

  #settleIdle(): void {
    if (this.#pending.size > 0 || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
