/**
 * What the H2 fault variants (reload-faults.test.ts) look at on a child broker, with no metrics
 * endpoint to read: whether it still serves (a confirmed publish reaches a subscriber), which
 * configuration is in force (seen through what two settings do), how a connection it cannot take
 * ends, and whether its descriptor table is full.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { ErrorCode } from '../../../src/errors.ts';
import { encodePub, encodeSub, Op, StartKind } from '../../../src/protocol/index.ts';
import { guard, type Target, WireClient } from './wire-client.ts';

/** How long one probe step may take before the test fails (a hang guard only). */
const STEP_GUARD_MS = 30_000;

/** How a SUB was answered: SUB_ACK, or the ERR's code. */
export type SubAnswer = 'SUB_ACK' | ErrorCode | number;

/** What two settings of the running configuration do, as seen by a client. */
export interface ConfigView {
  /** A third SUB on a connection holding two: refused while max_subscriptions_per_connection is 2. */
  readonly thirdSubscription: SubAnswer;
  /** A SUB to topic `added`: refused while the running configuration has no such topic. */
  readonly addedTopic: SubAnswer;
}

type Event =
  | { readonly kind: 'msg'; readonly payload: string }
  | { readonly kind: 'puback'; readonly confirmId: number }
  | { readonly kind: 'suback'; readonly who: WireClient; readonly sid: number }
  | {
      readonly kind: 'err';
      readonly who: WireClient;
      readonly code: ErrorCode | number;
      readonly ref: number;
    };

/**
 * Two connections made before any fault: `sub` (Unix socket) holds two subscriptions, `probe`
 * and `spare`, and `pub` (TCP) holds none. Every check is repeatable: the SUBs it expects to be
 * refused change nothing on the broker.
 */
export class Probe {
  readonly sub: WireClient;
  readonly pub: WireClient;
  readonly #events: Event[] = [];
  readonly #waiters: (() => void)[] = [];
  #confirmId = 0;
  #nextSid = 10;

  private constructor(sub: WireClient, pub: WireClient) {
    this.sub = sub;
    this.pub = pub;
    for (const who of [sub, pub]) {
      who.handlers = {
        onMsg: (_sid, _seq, _flags, _dc, payload) => this.#push({ kind: 'msg', payload: payload.toString() }),
        onPubAck: (confirmId) => this.#push({ kind: 'puback', confirmId }),
        onSubAck: (sid) => this.#push({ kind: 'suback', who, sid }),
        onErr: (e) => {
          if (e.refOp === Op.SUB) this.#push({ kind: 'err', who, code: e.code, ref: e.ref });
        },
      };
    }
  }

  /** Connects both clients and subscribes `sub` to `probe` and `spare`. */
  static async open(broker: { readonly unix: Target; readonly tcp: Target }): Promise<Probe> {
    const sub = await WireClient.ready(broker.unix, { name: 'h2-probe-sub' });
    const pub = await WireClient.ready(broker.tcp, { name: 'h2-probe-pub' });
    const probe = new Probe(sub, pub);
    for (const topic of ['probe', 'spare']) {
      const answer = await probe.subscribe(sub, topic);
      if (answer !== 'SUB_ACK') throw new Error(`SUB ${topic} refused: ${String(answer)}`);
    }
    return probe;
  }

  /** A confirmed publish to `probe` and its delivery to `sub`; rejects when either is missing. */
  async roundTrip(tag: string): Promise<void> {
    const confirmId = ++this.#confirmId;
    const payload = `${tag} #${confirmId}`;
    this.pub.send(encodePub('probe', Buffer.from(payload), confirmId));
    await this.#next((e) => e.kind === 'puback' && e.confirmId === confirmId, `PUBACK of "${payload}"`);
    await this.#next((e) => e.kind === 'msg' && e.payload === payload, `delivery of "${payload}"`);
  }

  /** What the running configuration does with a third subscription and with topic `added`. */
  async view(): Promise<ConfigView> {
    return {
      thirdSubscription: await this.subscribe(this.sub, 'added'),
      addedTopic: await this.subscribe(this.pub, 'added'),
    };
  }

  /** Sends a SUB on `who` with a fresh sid; resolves with its answer. */
  async subscribe(who: WireClient, topic: string): Promise<SubAnswer> {
    const sid = this.#nextSid++;
    who.send(encodeSub(sid, topic, StartKind.New, 0));
    const e = await this.#next(
      (x) =>
        (x.kind === 'suback' || x.kind === 'err') &&
        x.who === who &&
        (x.kind === 'suback' ? x.sid : x.ref) === sid,
      `the answer to SUB ${topic}`,
    );
    return e.kind === 'err' ? e.code : 'SUB_ACK';
  }

  close(): void {
    this.sub.destroy();
    this.pub.destroy();
  }

  #push(e: Event): void {
    this.#events.push(e);
    for (const w of this.#waiters.splice(0)) w();
  }

  /** The first event (kept or coming) that `match`es, removed from the kept ones. */
  #next(match: (e: Event) => boolean, what: string): Promise<Event> {
    return guard(
      (async () => {
        for (;;) {
          const at = this.#events.findIndex(match);
          if (at >= 0) return this.#events.splice(at, 1)[0]!;
          if (this.sub.isClosed || this.pub.isClosed)
            throw new Error(`a probe connection closed before ${what}`);
          await new Promise<void>((r) => this.#waiters.push(r));
        }
      })(),
      STEP_GUARD_MS,
      what,
    );
  }
}

/** How a connection attempt ended. */
export interface Attempt {
  /** The client that completed its handshake (undefined when refused). */
  readonly client: WireClient | undefined;
  /** The socket error seen, if any (ECONNRESET, EAGAIN, ...). */
  readonly error: string | undefined;
  /** True when the refusal came as a closed socket or a socket error rather than a hang. */
  readonly ended: boolean;
}

/** Connects to `target` and sends HELLO: welcomed, or refused with a close or a socket error. */
export async function attempt(target: Target, name: string): Promise<Attempt> {
  let client: WireClient;
  try {
    client = await WireClient.open(target);
  } catch (err) {
    return { client: undefined, error: (err as NodeJS.ErrnoException).code ?? String(err), ended: true };
  }
  let error: string | undefined;
  client.socket.on('error', (err: NodeJS.ErrnoException) => {
    error ??= err.code ?? err.message;
  });
  if (await client.hello(name)) return { client, error: undefined, ended: false };
  await guard(client.closed, STEP_GUARD_MS, `${name} closes`);
  return { client: undefined, error, ended: client.isClosed };
}

/** The descriptor numbers below `limit` that process `pid` has free (none: its table is full). */
export function freeDescriptors(pid: number, limit: number): number[] {
  const open = new Set(readdirSync(`/proc/${pid}/fd`).map(Number));
  const free: number[] = [];
  for (let fd = 0; fd < limit; fd++) if (!open.has(fd)) free.push(fd);
  return free;
}

/** The open-files limit of process `pid` (its soft RLIMIT_NOFILE), from /proc/<pid>/limits. */
export function openFilesLimit(pid: number): number {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  return Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? Number.NaN);
}

/**
 * Whether process `pid` can read a file whatever its mode: CAP_DAC_OVERRIDE (bit 1) or
 * CAP_DAC_READ_SEARCH (bit 2) in its effective capabilities, as root has by default.
 */
export function overridesFileModes(pid: number): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const effective = BigInt(`0x${/^CapEff:\s+([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
  return (effective & 0b110n) !== 0n;
}
