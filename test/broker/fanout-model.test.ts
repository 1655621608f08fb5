/**
 * Model-based test of fanout routing. Random interleavings of publish, subscribe (new, from a
 * seq, last N), unsubscribe, writable toggles, resume and ring resizes run against a real Broker
 * while a model checks every event a subscription receives:
 * - deliveries come in strictly increasing seq order, each with its own payload;
 * - every gap is exactly covered by a LAGGED notice that arrives before the next delivery, and
 *   the first event starts at the nextSeq that subscribe returned;
 * - SLOW_CONSUMER evictions happen only under the disconnect policy, and nothing follows them;
 * - droppedLagged equals the LAGGED counts sent, minus replay requests that reached past the ring,
 *   plus what lagging subscriptions have lost but not been told yet (everything they have not
 *   heard of that the ring no longer holds: the model keeps its own count of what the ring holds).
 * At the end every live subscription is opened and resumed: each has covered every seq.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  Broker,
  type EvictReason,
  Routing,
  SlowConsumerPolicy,
  type StartPosition,
  type Subscriber,
  type Subscription,
} from '../../src/broker/index.ts';

const SLOTS = 3;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

let nextId = 1;

class Reader implements Subscriber {
  readonly id = nextId++;
  writable = true;
  budget = Number.POSITIVE_INFINITY;
  sub: Subscription | undefined;
  /** The next seq this subscription must hear about (as a delivery or a LAGGED start). */
  expect = 0;
  /** The part of a replay request the ring no longer held, until a LAGGED notice reports it. */
  replayUnsent = 0;
  gone = false;

  constructor(
    readonly world: World,
    readonly slot: number,
  ) {}

  deliver(sub: Subscription, seq: number, payload: Uint8Array, flags: number, count: number): void {
    assert.ok(!this.gone, 'event after the subscription ended');
    assert.ok(this.writable, 'delivered while not writable');
    assert.equal(sub, this.sub);
    assert.equal(seq, this.expect, 'deliveries in seq order, gaps only through LAGGED');
    assert.equal(decoder.decode(payload), String(seq));
    assert.equal(flags, 0);
    assert.equal(count, 1);
    this.expect++;
    if (--this.budget <= 0) this.writable = false;
  }

  lagged(sub: Subscription, from: number, count: number): void {
    assert.ok(!this.gone, 'event after the subscription ended');
    assert.equal(sub, this.sub);
    assert.equal(from, this.expect, 'a LAGGED range starts where deliveries stopped');
    assert.ok(count >= 1);
    this.expect = from + count;
    this.world.accounted += count;
    this.replayUnsent = 0;
  }

  evicted(sub: Subscription, reason: EvictReason): void {
    assert.ok(!this.gone);
    assert.equal(sub, this.sub);
    assert.equal(reason, 'SLOW_CONSUMER');
    assert.equal(this.world.policy, SlowConsumerPolicy.Disconnect, 'evicted under drop_oldest');
    this.gone = true;
    this.world.accounted += this.replayUnsent; // never sent, and never counted as dropped
    this.world.evictions++;
    this.world.readers[this.slot] = undefined;
  }
}

class World {
  readonly broker = new Broker();
  readonly readers: (Reader | undefined)[] = new Array(SLOTS).fill(undefined);
  nextSeq = 1;
  limit: number;
  /** How many messages the ring holds, per the model. */
  held = 0;
  /** droppedLagged as far as notices sent and subscriptions ended account for it. */
  accounted = 0;
  evictions = 0;

  constructor(
    bufferSize: number,
    readonly policy: SlowConsumerPolicy,
  ) {
    this.limit = bufferSize;
    this.broker.createTopic('f', { routing: Routing.Fanout, bufferSize, slowConsumer: policy });
  }

  check(): void {
    const stats = this.broker.topicStats('f');
    assert.equal(stats.nextSeq, this.nextSeq);
    assert.equal(stats.depth, this.held);
    let pending = 0;
    for (const r of this.readers) if (r !== undefined) pending += this.unheardLost(r);
    assert.equal(stats.droppedLagged, this.accounted + pending);
    if (this.policy === SlowConsumerPolicy.Disconnect) assert.equal(stats.droppedLagged, 0);
    assert.equal(stats.slowConsumerEvictions, this.evictions);
    assert.equal(stats.subscribers, this.readers.filter((r) => r !== undefined).length);
  }

  /** Messages `r` has not heard of that the ring no longer holds: its LAGGED notice to come. */
  unheardLost(r: Reader): number {
    return Math.max(0, this.nextSeq - this.held - r.expect);
  }

  finish(): void {
    for (const r of this.readers) {
      if (r === undefined) continue;
      r.writable = true;
      r.budget = Number.POSITIVE_INFINITY;
      this.broker.resume(r.sub!);
      assert.equal(r.expect, this.nextSeq, 'a live subscription has covered every seq');
    }
    this.check();
  }
}

type Cmd = fc.Command<World, Broker>;

class Publish implements Cmd {
  check = () => true;
  run(w: World, broker: Broker): void {
    assert.equal(broker.publish('f', encoder.encode(String(w.nextSeq))), w.nextSeq);
    w.nextSeq++;
    w.held = Math.min(w.held + 1, w.limit);
    w.check();
  }
  toString = () => 'publish';
}

class Subscribe implements Cmd {
  constructor(
    readonly slot: number,
    readonly start: StartPosition,
    readonly resume: boolean,
  ) {}
  check = (w: Readonly<World>) => w.readers[this.slot] === undefined;
  run(w: World, broker: Broker): void {
    const r = new Reader(w, this.slot);
    w.readers[this.slot] = r;
    let from = w.nextSeq;
    if (this.start.kind === 'seq') from = Math.min(this.start.seq, w.nextSeq);
    if (this.start.kind === 'last') from = Math.max(1, w.nextSeq - this.start.count);
    r.replayUnsent = Math.max(0, w.nextSeq - w.held - from);
    w.accounted -= r.replayUnsent;
    const { subscription, nextSeq } = broker.subscribe(r, 'f', 1, this.start);
    assert.equal(nextSeq, from);
    r.sub = subscription;
    r.expect = nextSeq;
    if (this.resume) broker.resume(subscription);
    w.check();
  }
  toString = () => `subscribe(${this.slot}, ${JSON.stringify(this.start)}${this.resume ? ', resume' : ''})`;
}

class Unsubscribe implements Cmd {
  constructor(readonly slot: number) {}
  check = (w: Readonly<World>) => w.readers[this.slot] !== undefined;
  run(w: World, broker: Broker): void {
    const r = w.readers[this.slot]!;
    w.readers[this.slot] = undefined;
    r.gone = true;
    w.accounted += w.unheardLost(r);
    broker.unsubscribe(r.sub!);
    w.check();
  }
  toString = () => `unsubscribe(${this.slot})`;
}

class SetWritable implements Cmd {
  constructor(
    readonly slot: number,
    readonly budget: number,
  ) {}
  check = (w: Readonly<World>) => w.readers[this.slot] !== undefined;
  run(w: World): void {
    const r = w.readers[this.slot]!;
    r.writable = this.budget > 0;
    r.budget = this.budget > 0 ? this.budget : Number.POSITIVE_INFINITY;
  }
  toString = () => `writable(${this.slot}, budget ${this.budget})`;
}

class Resume implements Cmd {
  constructor(
    readonly slot: number,
    readonly budget: number,
  ) {}
  check = (w: Readonly<World>) => w.readers[this.slot] !== undefined;
  run(w: World, broker: Broker): void {
    const r = w.readers[this.slot]!;
    r.writable = true;
    r.budget = this.budget;
    broker.resume(r.sub!);
    w.check();
  }
  toString = () => `resume(${this.slot}, budget ${this.budget})`;
}

class Resize implements Cmd {
  constructor(readonly bufferSize: number) {}
  check = () => true;
  run(w: World, broker: Broker): void {
    broker.updateTopic('f', { bufferSize: this.bufferSize });
    w.limit = this.bufferSize;
    w.held = Math.min(w.held, w.limit);
    w.check();
  }
  toString = () => `resize(${this.bufferSize})`;
}

const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const start: fc.Arbitrary<StartPosition> = fc.oneof(
  fc.constant({ kind: 'new' } as const),
  fc.integer({ min: 1, max: 40 }).map((seq) => ({ kind: 'seq', seq }) as const),
  fc.nat(12).map((count) => ({ kind: 'last', count }) as const),
);
const commands = fc.commands(
  [
    fc.constant(new Publish()),
    fc.constant(new Publish()),
    fc.constant(new Publish()),
    fc.tuple(slot, start, fc.boolean()).map(([s, st, r]) => new Subscribe(s, st, r)),
    slot.map((s) => new Unsubscribe(s)),
    fc.tuple(slot, fc.nat(3)).map(([s, b]) => new SetWritable(s, b)),
    fc.tuple(slot, fc.integer({ min: 1, max: 8 })).map(([s, b]) => new Resume(s, b)),
    fc.integer({ min: 1, max: 8 }).map((n) => new Resize(n)),
  ],
  { maxCommands: 100, size: 'max' },
);

test('fanout model: each subscription sees increasing seqs whose gaps are exactly its LAGGED notices', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.constantFrom(SlowConsumerPolicy.DropOldest, SlowConsumerPolicy.Disconnect),
      commands,
      (bufferSize, policy, cmds) => {
        const world = new World(bufferSize, policy);
        fc.modelRun(() => ({ model: world, real: world.broker }), cmds);
        world.finish();
      },
    ),
    { numRuns: 500 },
  );
});
