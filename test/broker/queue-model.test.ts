/**
 * Model-based test of queue routing (RELIABILITY.md D4). Random interleavings of publish,
 * subscribe, unsubscribe / subscriber death, ack, writable toggles and resume run against a real
 * Broker while a model checks, at every delivery and after every command:
 * - a message is never handed out while it is already in flight, nor after it was acked;
 * - delivery counts go 1, 2, 3... per message and the redelivered flag is set exactly when > 1;
 * - no consumer holds more than prefetch unacked, nor gets a delivery while not writable;
 * - no message is delivered more than deliveryLimit times; an unacked delivery that comes back
 *   having used the limit up (its consumer left) is dropped and counted, and so are waiting
 *   redeliveries that a lowered limit has used up; the model predicts exactly which seqs;
 * - every accepted message is acked (or, with ack none, delivered) exactly once, or still held
 *   (waiting or in flight), or counted as dropped by drop_oldest (the oldest waiting one, which
 *   the model predicts too) or by the delivery limit: nothing vanishes.
 * At the end every consumer is opened and everything acked: all accepted messages are done.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MyceliumError } from '../../src/errors.ts';
import {
  AckMode,
  Broker,
  DeliveryFlags,
  OverflowPolicy,
  Routing,
  type Subscriber,
  type Subscription,
} from '../../src/broker/index.ts';

const SLOTS = 3;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

interface Config {
  manual: boolean;
  prefetch: number;
  bufferSize: number;
  overflow: OverflowPolicy;
  deliveryLimit: number;
}

let nextId = 1;

class Consumer implements Subscriber {
  readonly id = nextId++;
  writable = true;
  budget = Number.POSITIVE_INFINITY;
  sub: Subscription | undefined;

  constructor(
    readonly world: World,
    readonly slot: number,
  ) {}

  deliver(sub: Subscription, seq: number, payload: Uint8Array, flags: number, count: number): void {
    this.world.onDeliver(this, sub, seq, payload, flags, count);
    if (--this.budget <= 0) this.writable = false;
  }

  lagged(): void {
    assert.fail('a queue subscription never lags');
  }

  evicted(): void {
    assert.fail('nothing evicts queue subscriptions here');
  }
}

class World {
  readonly broker = new Broker();
  readonly consumers: (Consumer | undefined)[] = new Array(SLOTS).fill(undefined);
  /** Per slot: seq -> delivery count of what that consumer holds unacked. */
  readonly inFlight: Map<number, number>[] = Array.from({ length: SLOTS }, () => new Map());
  readonly deliveries = new Map<number, number>();
  /** Acked (manual) or delivered (ack none): finished for good. */
  readonly done = new Set<number>();
  /** Dropped to make room (drop_oldest). */
  readonly overflowed = new Set<number>();
  /** Dropped by the delivery limit. */
  readonly limited = new Set<number>();
  deliveryLimit: number;
  lastSeq = 0;

  constructor(readonly cfg: Config) {
    this.deliveryLimit = cfg.deliveryLimit;
    this.broker.createTopic('q', {
      routing: Routing.Queue,
      ack: cfg.manual ? AckMode.Manual : AckMode.None,
      prefetch: cfg.prefetch,
      bufferSize: cfg.bufferSize,
      overflow: cfg.overflow,
      deliveryLimit: cfg.deliveryLimit,
    });
  }

  /** Accepted seqs neither finished, dropped nor in flight, oldest first: the line, in its order. */
  waiting(): number[] {
    const out: number[] = [];
    for (let seq = 1; seq <= this.lastSeq; seq++) {
      if (this.done.has(seq) || this.overflowed.has(seq) || this.limited.has(seq)) continue;
      if (this.inFlight.some((held) => held.has(seq))) continue;
      out.push(seq);
    }
    return out;
  }

  onDeliver(
    c: Consumer,
    sub: Subscription,
    seq: number,
    payload: Uint8Array,
    flags: number,
    count: number,
  ): void {
    assert.ok(c.writable, 'delivered to a subscriber that is not writable');
    assert.equal(this.consumers[c.slot], c, 'delivered to a consumer that left');
    assert.equal(sub, c.sub);
    assert.ok(seq >= 1 && seq <= this.lastSeq, `seq ${seq} was never accepted`);
    assert.equal(decoder.decode(payload), String(seq), 'payload belongs to its seq');
    assert.ok(!this.done.has(seq), `seq ${seq} delivered after it was done`);
    assert.ok(
      !this.overflowed.has(seq) && !this.limited.has(seq),
      `seq ${seq} delivered after it was dropped`,
    );
    for (const held of this.inFlight) assert.ok(!held.has(seq), `seq ${seq} duplicated while in flight`);
    const expected = (this.deliveries.get(seq) ?? 0) + 1;
    assert.equal(count, expected, `delivery count of seq ${seq}`);
    assert.ok(
      count <= this.deliveryLimit,
      `seq ${seq} delivered ${count} times, limit ${this.deliveryLimit}`,
    );
    assert.equal(flags, count > 1 ? DeliveryFlags.Redelivered : DeliveryFlags.None);
    this.deliveries.set(seq, count);
    if (this.cfg.manual) {
      const held = this.inFlight[c.slot]!;
      held.set(seq, count);
      assert.ok(held.size <= this.cfg.prefetch, 'prefetch exceeded');
    } else {
      this.done.add(seq);
    }
  }

  check(): void {
    const stats = this.broker.topicStats('q');
    const held = this.inFlight.reduce((n, m) => n + m.size, 0);
    assert.equal(stats.inFlight, held, 'broker and model agree on what is in flight');
    assert.equal(stats.depth, this.waiting().length, 'broker and model agree on what waits');
    assert.equal(stats.droppedOverflow, this.overflowed.size, 'drop_oldest drops what the model predicts');
    assert.equal(
      stats.droppedDeliveryLimit,
      this.limited.size,
      'the delivery limit drops what the model predicts',
    );
    assert.equal(
      this.lastSeq,
      this.done.size + stats.depth + stats.inFlight + stats.droppedOverflow + stats.droppedDeliveryLimit,
      'every accepted message is done, waiting, in flight or counted as dropped',
    );
    if (this.cfg.overflow !== OverflowPolicy.DropOldest) assert.equal(stats.droppedOverflow, 0);
  }

  /** Opens every consumer (adding one if there is none) and acks until nothing is held. */
  finish(): void {
    if (this.consumers.every((c) => c === undefined)) new Subscribe(0, true).run(this, this.broker);
    for (let round = 0; round < 10_000; round++) {
      for (const c of this.consumers) {
        if (c === undefined) continue;
        c.writable = true;
        c.budget = Number.POSITIVE_INFINITY;
        this.broker.resume(c.sub!);
      }
      for (let slot = 0; slot < SLOTS; slot++) {
        for (const seq of [...this.inFlight[slot]!.keys()]) ackOne(this, slot, seq);
      }
      this.check();
      const stats = this.broker.topicStats('q');
      if (stats.depth === 0 && stats.inFlight === 0) break;
    }
    const stats = this.broker.topicStats('q');
    assert.equal(stats.depth + stats.inFlight, 0, 'everything drained');
    assert.equal(
      this.done.size + stats.droppedOverflow + stats.droppedDeliveryLimit,
      this.lastSeq,
      'nothing lost',
    );
    if (this.cfg.manual) assert.equal(stats.acked, this.done.size);
  }
}

function ackOne(w: World, slot: number, seq: number): void {
  assert.ok(!w.done.has(seq), `seq ${seq} acked twice`);
  w.inFlight[slot]!.delete(seq);
  w.done.add(seq);
  w.broker.ack(w.consumers[slot]!.sub!, seq);
}

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof MyceliumError && e.code === code);
}

type Cmd = fc.Command<World, Broker>;

class Publish implements Cmd {
  check = () => true;
  run(w: World, broker: Broker): void {
    const depth = broker.topicStats('q').depth;
    const full = depth >= w.cfg.bufferSize;
    assert.equal(broker.canPublish('q'), !(full && w.cfg.overflow === OverflowPolicy.Block));
    // A full drop_oldest line drops its head, the oldest waiting seq (the line is in seq order).
    const head = full && w.cfg.overflow === OverflowPolicy.DropOldest ? w.waiting()[0] : undefined;
    w.lastSeq++; // it may be delivered before publish returns
    try {
      assert.equal(broker.publish('q', encoder.encode(String(w.lastSeq))), w.lastSeq);
      if (head !== undefined) w.overflowed.add(head);
    } catch (error) {
      w.lastSeq--;
      assert.ok(error instanceof MyceliumError && error.code === 'QUEUE_FULL', String(error));
      assert.ok(full && w.cfg.overflow !== OverflowPolicy.DropOldest);
    }
    w.check();
  }
  toString = () => 'publish';
}

class Subscribe implements Cmd {
  constructor(
    readonly slot: number,
    readonly resume: boolean,
  ) {}
  check = (w: Readonly<World>) => w.consumers[this.slot] === undefined;
  run(w: World, broker: Broker): void {
    const c = new Consumer(w, this.slot);
    w.consumers[this.slot] = c;
    c.sub = broker.subscribe(c, 'q', 1).subscription;
    if (this.resume) broker.resume(c.sub);
    w.check();
  }
  toString = () => `subscribe(${this.slot}${this.resume ? ', resume' : ''})`;
}

class Leave implements Cmd {
  constructor(
    readonly slot: number,
    readonly dies: boolean,
  ) {}
  check = (w: Readonly<World>) => w.consumers[this.slot] !== undefined;
  run(w: World, broker: Broker): void {
    const c = w.consumers[this.slot]!;
    w.consumers[this.slot] = undefined; // its deliveries go back to the line: no longer in flight
    // ...except those delivered deliveryLimit times already: dropped.
    for (const [seq, count] of w.inFlight[this.slot]!) if (count >= w.deliveryLimit) w.limited.add(seq);
    w.inFlight[this.slot]!.clear();
    if (this.dies) assert.equal(broker.removeSubscriber(c), 1);
    else broker.unsubscribe(c.sub!);
    w.check();
  }
  toString = () => `${this.dies ? 'die' : 'unsubscribe'}(${this.slot})`;
}

class Ack implements Cmd {
  constructor(
    readonly slot: number,
    readonly pick: number,
  ) {}
  check = (w: Readonly<World>) => w.consumers[this.slot] !== undefined;
  run(w: World, broker: Broker): void {
    const sub = w.consumers[this.slot]!.sub!;
    const held = [...w.inFlight[this.slot]!.keys()];
    if (!w.cfg.manual) expectCode(() => broker.ack(sub, this.pick + 1), 'ACK_NOT_EXPECTED');
    else if (held.length === 0) expectCode(() => broker.ack(sub, w.lastSeq + 1), 'ACK_NOT_FOUND');
    else ackOne(w, this.slot, held[this.pick % held.length]!);
    w.check();
  }
  toString = () => `ack(${this.slot}, #${this.pick})`;
}

class SetWritable implements Cmd {
  constructor(
    readonly slot: number,
    readonly budget: number,
  ) {}
  check = (w: Readonly<World>) => w.consumers[this.slot] !== undefined;
  run(w: World): void {
    const c = w.consumers[this.slot]!;
    // budget 0: not writable; otherwise writable for that many more deliveries (no resume call).
    c.writable = this.budget > 0;
    c.budget = this.budget > 0 ? this.budget : Number.POSITIVE_INFINITY;
    w.check();
  }
  toString = () => `writable(${this.slot}, budget ${this.budget})`;
}

class Resume implements Cmd {
  constructor(
    readonly slot: number,
    readonly budget: number,
  ) {}
  check = (w: Readonly<World>) => w.consumers[this.slot] !== undefined;
  run(w: World, broker: Broker): void {
    const c = w.consumers[this.slot]!;
    c.writable = true;
    c.budget = this.budget;
    broker.resume(c.sub!);
    w.check();
  }
  toString = () => `resume(${this.slot}, budget ${this.budget})`;
}

class SetLimit implements Cmd {
  constructor(readonly limit: number) {}
  check = () => true;
  run(w: World, broker: Broker): void {
    // A lower limit drops the waiting redeliveries that have used it up, at once.
    if (this.limit < w.deliveryLimit) {
      for (const seq of w.waiting()) if ((w.deliveries.get(seq) ?? 0) >= this.limit) w.limited.add(seq);
    }
    w.deliveryLimit = this.limit;
    assert.equal(broker.updateTopic('q', { deliveryLimit: this.limit }).deliveryLimit, this.limit);
    w.check();
  }
  toString = () => `deliveryLimit(${this.limit})`;
}

const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const limit = fc.integer({ min: 1, max: 4 });
const commands = fc.commands(
  [
    fc.constant(new Publish()),
    fc.constant(new Publish()),
    fc.tuple(slot, fc.boolean()).map(([s, r]) => new Subscribe(s, r)),
    fc.tuple(slot, fc.boolean()).map(([s, d]) => new Leave(s, d)),
    fc.tuple(slot, fc.nat(10)).map(([s, p]) => new Ack(s, p)),
    fc.tuple(slot, fc.nat(4)).map(([s, b]) => new SetWritable(s, b)),
    fc.tuple(slot, fc.integer({ min: 1, max: 6 })).map(([s, b]) => new Resume(s, b)),
    limit.map((n) => new SetLimit(n)),
  ],
  { maxCommands: 100, size: 'max' },
);
const config = fc.record({
  manual: fc.boolean(),
  prefetch: fc.integer({ min: 1, max: 4 }),
  bufferSize: fc.integer({ min: 1, max: 6 }),
  overflow: fc.constantFrom(OverflowPolicy.Reject, OverflowPolicy.Block, OverflowPolicy.DropOldest),
  deliveryLimit: limit,
});

test('queue model: under any interleaving every accepted message is done exactly once, still held, or dropped and counted', () => {
  fc.assert(
    fc.property(config, commands, (cfg, cmds) => {
      const world = new World(cfg);
      fc.modelRun(() => ({ model: world, real: world.broker }), cmds);
      world.finish();
    }),
    { numRuns: 500 },
  );
});
