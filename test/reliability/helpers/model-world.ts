/**
 * One D4 sequence: the model's records, the live clients, and the actions the commands take.
 * What the server sends is checked as it arrives (./model-observe.ts); a broken rule is kept as
 * a violation and fails the sequence at the end of the command that saw it.
 */
import type { TopicStats } from '../../../src/broker/index.ts';
import { encodeAck, encodePub, encodeSub, encodeUnsub, ReloadStatus } from '../../../src/protocol/index.ts';
import type { ClosedConnectionInfo } from '../../../src/server/index.ts';
import { ModelClient } from './model-client.ts';
import { Observer } from './model-observe.ts';
import { type ModelServer, type Settings, topicNames } from './model-server.ts';
import { Conn, ConnState, encodePayload, Msg, MsgStatus, Sub, TopicKind, TopicModel } from './model-types.ts';

/** Client connections the commands address (slot -1 is the end-of-sequence drainer). */
export const SLOTS = 4;

/** What the run as a whole reports besides pass/fail: how much of the model each run exercised. */
export interface Coverage {
  commands: number;
  deliveries: number;
  redeliveries: number;
  laggedNotices: number;
  queueFull: number;
  kills: number;
  closes: number;
  unsubs: number;
  acks: number;
  reloadsApi: number;
  reloadsWire: number;
  freezes: number;
}

export function emptyCoverage(): Coverage {
  return {
    commands: 0,
    deliveries: 0,
    redeliveries: 0,
    laggedNotices: 0,
    queueFull: 0,
    kills: 0,
    closes: 0,
    unsubs: 0,
    acks: 0,
    reloadsApi: 0,
    reloadsWire: 0,
    freezes: 0,
  };
}

export class World {
  readonly violations: string[] = [];
  readonly conns = new Map<string, Conn>();
  readonly slots: (Conn | undefined)[] = new Array(SLOTS).fill(undefined);
  readonly msgs = new Map<number, Msg>();
  readonly fanout: TopicModel;
  readonly manual: TopicModel;
  readonly none: TopicModel;
  readonly topics: readonly TopicModel[];
  readonly settings: Settings;
  readonly observer: Observer;
  /** Commands run so far. */
  step = 0;
  #nextId = 0;
  #opened = 0;
  #requestId = 0;
  #admin: Conn | undefined;

  constructor(
    readonly h: ModelServer,
    readonly run: number,
    settings: Settings,
    readonly coverage: Coverage,
  ) {
    this.settings = { ...settings };
    const names = topicNames(run);
    this.fanout = new TopicModel(TopicKind.Fanout, names.fanout, settings.fanoutBuffer, 0);
    this.manual = new TopicModel(TopicKind.Manual, names.manual, settings.manualBuffer, settings.prefetch);
    this.none = new TopicModel(TopicKind.None, names.none, settings.noneBuffer, 0);
    this.topics = [this.fanout, this.manual, this.none];
    this.observer = new Observer(this);
  }

  /** Puts this sequence's topics and settings in force (the last sequence's topics go). */
  async start(): Promise<void> {
    await this.h.write(this.run, this.settings);
    const report = await this.h.reload();
    if (report.outcome !== 'applied') {
      throw new Error(
        `setup reload of sequence ${this.run}: ${report.outcome} ${report.problems.join('; ')}`,
      );
    }
  }

  fail(text: string): void {
    this.violations.push(`[sequence ${this.run}, step ${this.step}] ${text}`);
  }

  /** Throws the violations seen so far (fast-check then reports and shrinks the sequence). */
  throwIfViolated(): void {
    if (this.violations.length > 0) throw new Error(this.violations.join('\n'));
  }

  stats(topic: TopicModel): TopicStats {
    return this.h.server.broker.topicStats(topic.name);
  }

  /** The connection in `slot`, opened (alternately over Unix and TCP) if there is none. */
  async connection(slot: number): Promise<Conn> {
    const c = this.slots[slot];
    if (c?.open) return c;
    const fresh = await this.open(slot);
    this.slots[slot] = fresh;
    return fresh;
  }

  /** Opens a connection over Unix and TCP in turn (`unix`: on the Unix socket, as admin ops need). */
  async open(slot: number, unix = false): Promise<Conn> {
    const n = ++this.#opened;
    const name = `d4.r${this.run}.c${n}`;
    const client = await ModelClient.open(unix ? this.h.unix : this.h.target(n), name, this.observer);
    const conn = new Conn(name, slot, client);
    this.conns.set(name, conn);
    return conn;
  }

  /** Live connections (not closing, killed or gone). */
  live(): Conn[] {
    return [...this.conns.values()].filter((c) => c.open);
  }

  publish(conn: Conn, topic: TopicModel, confirmed: boolean, count: number, size: number): Msg[] {
    const frames: Buffer[] = [];
    const sent: Msg[] = [];
    for (let i = 0; i < count; i++) {
      const confirmId = confirmed ? ++conn.nextConfirm : 0;
      const msg = new Msg(++this.#nextId, topic, conn, confirmId, Math.max(size, 8));
      this.msgs.set(msg.id, msg);
      if (confirmed) conn.pending.set(confirmId, msg);
      frames.push(encodePub(topic.name, encodePayload(this.run, msg.id, size), confirmId));
      sent.push(msg);
    }
    topic.pubsSent += count;
    conn.pubs.set(topic, (conn.pubs.get(topic) ?? 0) + count);
    // One write: the server reads the burst in one go, as a fast publisher's would be.
    conn.client.send(Buffer.concat(frames));
    return sent;
  }

  subscribe(conn: Conn, topic: TopicModel): Sub {
    const sub = new Sub(++conn.nextSid, conn, topic);
    conn.subs.set(sub.sid, sub);
    conn.client.send(encodeSub(sub.sid, topic.name));
    return sub;
  }

  /** Manual deliveries `conn` holds on live subscriptions, oldest seq first. */
  held(conn: Conn): { sub: Sub; msg: Msg }[] {
    const out: { sub: Sub; msg: Msg }[] = [];
    for (const sub of conn.subs.values()) {
      if (!sub.ending) for (const msg of sub.held.values()) out.push({ sub, msg });
    }
    return out.sort((a, b) => (a.msg.seq ?? 0) - (b.msg.seq ?? 0));
  }

  ack(conn: Conn, sub: Sub, msg: Msg): void {
    const seq = msg.seq ?? 0;
    conn.client.send(encodeAck(sub.sid, seq));
    sub.held.delete(seq);
    msg.holder = undefined;
    msg.ackedOn = conn;
    this.coverage.acks++;
  }

  /** UNSUB: the model's nack-requeue (the protocol has no NACK; §6.3.2 redelivers what it held). */
  unsubscribe(sub: Sub): void {
    this.#endSub(sub);
    sub.conn.client.send(encodeUnsub(sub.sid));
    this.coverage.unsubs++;
  }

  /** The model stops expecting anything of `sub`; what it held may be redelivered elsewhere. */
  #endSub(sub: Sub): void {
    if (sub.ending) return;
    sub.ending = true;
    for (const msg of sub.held.values()) msg.holder = undefined;
    sub.held.clear();
    if (sub.topic.kind === TopicKind.Manual) sub.topic.endedSubs++;
  }

  #endConn(conn: Conn, state: ConnState): void {
    conn.state = state;
    for (const sub of conn.subs.values()) {
      // An ack "none" delivery is done once written: if the socket goes, so may it.
      if (sub.topic.kind === TopicKind.None && !sub.unsubAcked) sub.topic.lossPossible = true;
      this.#endSub(sub);
    }
    if (this.slots[conn.slot] === conn) this.slots[conn.slot] = undefined;
  }

  /**
   * Graceful close: everything sent before the FIN (acks included) is handled by the server.
   * `command` is false for the closes that end a sequence (not counted as coverage).
   */
  close(conn: Conn, command = true): void {
    if (!conn.open) return;
    this.#endConn(conn, ConnState.Closing);
    conn.client.close();
    if (command) this.coverage.closes++;
  }

  /** Abrupt close: acks and publishes on their way may be lost with the socket. */
  kill(conn: Conn): void {
    if (!conn.open) return;
    this.#endConn(conn, ConnState.Killed);
    for (const msg of this.msgs.values()) if (msg.ackedOn === conn) msg.ackUncertain = true;
    for (const [topic, n] of conn.pubs) topic.pubsAtRisk += n;
    this.#unconfirm(conn);
    conn.client.kill();
    this.coverage.kills++;
  }

  /** The socket closed: confirms still missing will never come. */
  gone(conn: Conn): void {
    if (conn.open) {
      this.fail(
        `connection ${conn.name} closed by the server (${conn.serverReason ?? 'no close event yet'})`,
      );
      this.#endConn(conn, ConnState.Gone);
    }
    conn.state = ConnState.Gone;
    this.#unconfirm(conn);
  }

  #unconfirm(conn: Conn): void {
    for (const msg of conn.pending.values()) msg.status = MsgStatus.Uncertain;
    conn.pending.clear();
  }

  freeze(conn: Conn, span: number): void {
    conn.client.freeze();
    conn.thawAt = this.step + span;
    this.coverage.freezes++;
  }

  /** Called at the start of every command: slow subscribers whose time is up read again. */
  beginStep(): void {
    this.step++;
    this.coverage.commands++;
    for (const c of this.conns.values()) if (c.client.frozen && c.thawAt <= this.step) c.client.thaw();
  }

  thawAll(): void {
    for (const c of this.conns.values()) c.client.thaw();
  }

  /** Changes one setting in the file and reloads it, through the API or the RELOAD op (Unix socket). */
  async reload(change: Partial<Settings>, via: 'api' | 'wire'): Promise<void> {
    const before = JSON.stringify(this.settings);
    Object.assign(this.settings, change);
    const changed = JSON.stringify(this.settings) !== before;
    // The new values may be in force before the answer is read (another connection may see their
    // effect first), so the model's bounds take them now.
    const s = this.settings;
    this.#resize(this.fanout, s.fanoutBuffer);
    this.#resize(this.manual, s.manualBuffer);
    this.#resize(this.none, s.noneBuffer);
    this.manual.prefetch = s.prefetch;
    this.manual.maxPrefetch = Math.max(this.manual.maxPrefetch, s.prefetch);
    await this.h.write(this.run, this.settings);
    let outcome: string;
    if (via === 'api') {
      outcome = (await this.h.reload()).outcome;
      this.coverage.reloadsApi++;
    } else {
      if (!this.#admin?.open) this.#admin = await this.open(-1, true);
      const { status, text } = await this.#admin.client.reload(++this.#requestId);
      outcome =
        status === undefined ? text : (['applied', 'unchanged', 'rejected'][status] ?? `status ${status}`);
      if (status === ReloadStatus.Rejected) outcome += `: ${text}`;
      this.coverage.reloadsWire++;
    }
    const want = changed ? 'applied' : 'unchanged';
    if (outcome !== want)
      this.fail(`reload ${JSON.stringify(change)} via ${via}: ${outcome}, expected ${want}`);
  }

  #resize(topic: TopicModel, buffer: number): void {
    topic.buffer = buffer;
    topic.minBuffer = Math.min(topic.minBuffer, buffer);
  }

  /** A close the server reports: only the model closes connections, and only as CLIENT_CLOSED. */
  serverClosed(info: ClosedConnectionInfo): void {
    const conn = this.conns.get(info.clientName);
    if (conn === undefined) return;
    conn.serverReason = info.detail === undefined ? info.reason : `${info.reason} (${info.detail})`;
    if (conn.open)
      this.fail(`the server closed ${conn.name} with ${conn.serverReason}; the model did not close it`);
    else if (info.reason !== 'CLIENT_CLOSED') {
      this.fail(
        `${conn.name} was closed by the model (${conn.state}) but the server says ${conn.serverReason}`,
      );
    }
  }
}
