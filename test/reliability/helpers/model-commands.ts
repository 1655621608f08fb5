/**
 * The D4 commands (RELIABILITY.md D4) and their arbitraries. Commands carry no state: the World is
 * both fast-check's model and the handle on the real system, so a command is checked against what
 * the model knows at the moment it runs. Every command ends by letting the event loop turn once,
 * so deliveries interleave with the next command as they would with a real client.
 */
import fc from 'fast-check';
import type { Settings } from './model-server.ts';
import type { Conn, TopicModel } from './model-types.ts';
import { SLOTS, type World } from './model-world.ts';

/** A D4 command: the World is both the model and the handle on the real system. */
export type Cmd = fc.AsyncCommand<World, World>;

/** Payload sizes: small ones, and 32 KiB ones that fill a stopped reader's socket in a few bursts. */
const LARGE_PAYLOAD = 32 * 1024;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs `body` as one model step, then lets I/O run and fails on anything seen meanwhile. */
async function step(w: World, body: () => void | Promise<void>): Promise<void> {
  w.beginStep();
  await body();
  await turn();
  w.throwIfViolated();
}

function topicOf(w: World, t: number): TopicModel {
  return w.topics[t] ?? w.fanout;
}

export class Publish implements Cmd {
  constructor(
    readonly slot: number,
    readonly topic: number,
    readonly confirmed: boolean,
    readonly count: number,
    readonly size: number,
  ) {}
  check = (): boolean => true;
  run = (w: World): Promise<void> =>
    step(w, async () => {
      const conn = await w.connection(this.slot);
      w.publish(conn, topicOf(w, this.topic), this.confirmed, this.count, this.size);
    });
  toString = (): string =>
    `publish(slot ${this.slot}, topic ${this.topic}, ${this.confirmed ? 'confirmed' : 'unconfirmed'}, ${this.count} x ${this.size} B)`;
}

export class Subscribe implements Cmd {
  constructor(
    readonly slot: number,
    readonly topic: number,
  ) {}
  check = (): boolean => true;
  run = (w: World): Promise<void> =>
    step(w, async () => {
      w.subscribe(await w.connection(this.slot), topicOf(w, this.topic));
    });
  toString = (): string =>
    `subscribe(slot ${this.slot}, ${['fanout', 'queue manual', 'queue none'][this.topic]})`;
}

/** The open connection in `slot`, if any. */
function openIn(w: Readonly<World>, slot: number): Conn | undefined {
  const c = w.slots[slot];
  return c?.open ? c : undefined;
}

export class Ack implements Cmd {
  constructor(
    readonly slot: number,
    readonly pick: number,
    readonly all: boolean,
  ) {}
  check = (w: Readonly<World>): boolean => {
    const c = openIn(w, this.slot);
    return c !== undefined && w.held(c).length > 0;
  };
  run = (w: World): Promise<void> =>
    step(w, () => {
      const c = openIn(w, this.slot);
      if (c === undefined) return;
      const held = w.held(c);
      const chosen = this.all ? held : held.slice(this.pick % held.length).slice(0, 1);
      for (const { sub, msg } of chosen) w.ack(c, sub, msg);
    });
  toString = (): string => `ack(slot ${this.slot}, ${this.all ? 'all' : `#${this.pick}`})`;
}

export class Unsubscribe implements Cmd {
  constructor(
    readonly slot: number,
    readonly pick: number,
  ) {}
  #live(w: Readonly<World>) {
    const c = openIn(w, this.slot);
    return c === undefined ? [] : [...c.subs.values()].filter((s) => !s.ending);
  }
  check = (w: Readonly<World>): boolean => this.#live(w).length > 0;
  run = (w: World): Promise<void> =>
    step(w, () => {
      const live = this.#live(w);
      const sub = live[this.pick % Math.max(1, live.length)];
      if (sub !== undefined) w.unsubscribe(sub);
    });
  toString = (): string => `unsubscribe(slot ${this.slot}, #${this.pick})`;
}

export class Close implements Cmd {
  constructor(
    readonly slot: number,
    readonly abrupt: boolean,
  ) {}
  check = (w: Readonly<World>): boolean => openIn(w, this.slot) !== undefined;
  run = (w: World): Promise<void> =>
    step(w, () => {
      const c = openIn(w, this.slot);
      if (c === undefined) return;
      if (this.abrupt) w.kill(c);
      else w.close(c);
    });
  toString = (): string => `${this.abrupt ? 'kill' : 'close'}(slot ${this.slot})`;
}

export class MakeSlow implements Cmd {
  constructor(
    readonly slot: number,
    readonly span: number,
  ) {}
  check = (w: Readonly<World>): boolean => {
    const c = openIn(w, this.slot);
    return c !== undefined && !c.client.frozen;
  };
  run = (w: World): Promise<void> =>
    step(w, () => {
      const c = openIn(w, this.slot);
      if (c !== undefined) w.freeze(c, this.span);
    });
  toString = (): string => `make-slow(slot ${this.slot}, for ${this.span} commands)`;
}

export class Reload implements Cmd {
  constructor(
    readonly change: Partial<Settings>,
    readonly via: 'api' | 'wire',
  ) {}
  check = (): boolean => true;
  run = (w: World): Promise<void> => step(w, () => w.reload(this.change, this.via));
  toString = (): string => `reload(${JSON.stringify(this.change)} via ${this.via})`;
}

/** Waits until every reading connection has answered a PING: what was sent so far has been handled. */
export class Settle implements Cmd {
  check = (): boolean => true;
  run = (w: World): Promise<void> =>
    step(w, async () => {
      await Promise.all(
        w
          .live()
          .filter((c) => !c.client.frozen)
          .map((c) => c.client.ping()),
      );
    });
  toString = (): string => 'settle()';
}

const slot = fc.integer({ min: 0, max: SLOTS - 1 });

const settingChange: fc.Arbitrary<Partial<Settings>> = fc.oneof(
  fc.constantFrom(1, 2, 4, 10_000).map((fanoutBuffer) => ({ fanoutBuffer })),
  fc.constantFrom(1, 3, 10_000).map((manualBuffer) => ({ manualBuffer })),
  fc.constantFrom(1, 2, 5, 64).map((prefetch) => ({ prefetch })),
  fc.constantFrom(2, 10_000).map((noneBuffer) => ({ noneBuffer })),
  fc.constantFrom(1, 3, 100_000).map((channelCapacity) => ({ channelCapacity })),
);

const topic = fc.integer({ min: 0, max: 2 });
const size = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 8, max: 64 }) }, fc.constant(LARGE_PAYLOAD));

/** The commands, weighted so publishes and deliveries dominate and faults stay frequent. */
export const commandArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(slot, topic, fc.boolean(), fc.integer({ min: 1, max: 8 }), size)
      .map(([s, t, c, n, b]) => new Publish(s, t, c, n, b)),
  },
  { weight: 3, arbitrary: fc.tuple(slot, topic).map(([s, t]) => new Subscribe(s, t)) },
  { weight: 3, arbitrary: fc.tuple(slot, fc.nat(8), fc.boolean()).map(([s, p, all]) => new Ack(s, p, all)) },
  { weight: 1, arbitrary: fc.tuple(slot, fc.nat(4)).map(([s, p]) => new Unsubscribe(s, p)) },
  { weight: 2, arbitrary: fc.tuple(slot, fc.boolean()).map(([s, abrupt]) => new Close(s, abrupt)) },
  {
    weight: 1,
    arbitrary: fc.tuple(slot, fc.integer({ min: 1, max: 6 })).map(([s, span]) => new MakeSlow(s, span)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(settingChange, fc.constantFrom('api' as const, 'wire' as const))
      .map(([c, via]) => new Reload(c, via)),
  },
  { weight: 1, arbitrary: fc.constant(new Settle()) },
);

/** The settings a sequence starts with: small buffers and prefetch often, so limits are reached. */
export const settingsArb: fc.Arbitrary<Settings> = fc.record({
  fanoutBuffer: fc.constantFrom(2, 3, 8, 10_000),
  manualBuffer: fc.constantFrom(2, 4, 10_000),
  prefetch: fc.constantFrom(1, 2, 3, 64),
  noneBuffer: fc.constantFrom(2, 10_000),
  channelCapacity: fc.constantFrom(2, 100_000),
});
