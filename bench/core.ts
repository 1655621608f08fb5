/**
 * Broker core benchmark (not a test): in-process publish -> deliver, no sockets, no frames
 * decoded. Measures
 * - throughput for 16 B and 1 KiB payloads: fanout to 1 and to 4 subscribers (payload views, and
 *   "range" rows publishing ranges of one buffer to subscribers with deliverRange, as the server
 *   does), queue to 4 (ack none, and ack manual with acks sent in batches), each subscriber
 *   writing a MSG header and copying the payload into its preallocated output chunk as a
 *   connection would;
 * - publish latency p50/p99/p99.9: every 64th publish is timed alone with two
 *   `process.hrtime.bigint()` reads (a timer on every publish would cost more than the publish
 *   and allocate two BigInts each time); values include the clock's own cost, printed alongside;
 * - memory (heapUsed + arrayBuffers less compiled code, after forced GCs) for 1, 1,000 and 10,000 subscribers on
 *   one fanout topic: what the subscriptions cost, then what 10,000 held 1 KiB messages cost.
 *
 * Each throughput figure is the best of ROUNDS timed rounds (the machine is shared: a round in
 * which the process lost the CPU is slower for reasons that are not the broker's); the table
 * shows how much CPU the process got during that round, and the JSON keeps every round.
 *
 * Usage: npm run bench:core [-- --quick | --only=<scenario substring>]
 *   --quick: tiny counts and no result file (CI runs it so the benchmark keeps working)
 *   --only: run the throughput scenarios whose name contains it (--only=memory: the memory rows)
 * Writes bench/results/core-<ISO date and time>.json. See bench/README.md for how to read it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AckMode, Broker, Routing, type TopicHandle } from '../src/broker/index.ts';
import {
  clockOverheadNs,
  memoryNow,
  millions,
  nsHistogram,
  bytes as showBytes,
  table,
} from './lib/measure.ts';
import { AckingSink, CopySink, CountSink, RangeCopySink } from './lib/sinks.ts';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const ROUNDS = quick ? 2 : 5;
const COUNTS = quick
  ? {
      warmup: 20_000,
      small: 200_000,
      large: 50_000,
      latency: 100_000,
      held: 100,
      subscribers: [1, 100, 1_000],
    }
  : {
      warmup: 1_000_000,
      small: 20_000_000,
      large: 4_000_000,
      latency: 4_000_000,
      held: 10_000,
      subscribers: [1, 1_000, 10_000],
    };
/** Distinct payload objects cycled through, so the ring holds different references. */
const PAYLOADS = 1024;
const SAMPLE_EVERY = 64;
/** Queue manual-ack rows ack everything outstanding after this many publishes. */
const ACK_BATCH = 32;
const TARGET_MSGS = 10_000_000;
const TARGET_P99_NS = 2_000;

interface Scenario {
  readonly name: string;
  readonly routing: Routing;
  readonly subscribers: number;
  readonly ack: AckMode;
  /**
   * Publish by range (`publish(topic, buf, start, end)`) from one shared buffer, to subscribers
   * with `deliverRange`, as the server publishes from its read buffers.
   */
  readonly range?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'fanout -> 1', routing: Routing.Fanout, subscribers: 1, ack: AckMode.None },
  { name: 'fanout -> 4', routing: Routing.Fanout, subscribers: 4, ack: AckMode.None },
  { name: 'fanout -> 1, range', routing: Routing.Fanout, subscribers: 1, ack: AckMode.None, range: true },
  { name: 'fanout -> 4, range', routing: Routing.Fanout, subscribers: 4, ack: AckMode.None, range: true },
  { name: 'queue -> 4', routing: Routing.Queue, subscribers: 4, ack: AckMode.None },
  { name: 'queue -> 4, manual ack', routing: Routing.Queue, subscribers: 4, ack: AckMode.Manual },
];
const SIZES = [16, 1024];

interface Setup {
  broker: Broker;
  topic: TopicHandle;
  sinks: CopySink[];
  payloads: Uint8Array[];
  /** Range rows: the buffer all payloads are ranges of (payloads are views of it). */
  shared: Uint8Array | null;
  size: number;
}

function setup(s: Scenario, size: number): Setup {
  const broker = new Broker();
  const topic = broker.createTopic('bench', {
    routing: s.routing,
    maxMessageSize: 1 << 20,
    ...(s.routing === Routing.Queue ? { ack: s.ack } : {}),
  });
  const sinks = Array.from({ length: s.subscribers }, () =>
    s.ack === AckMode.Manual ? new AckingSink() : s.range ? new RangeCopySink() : new CopySink(),
  );
  for (const [i, sink] of sinks.entries()) broker.subscribe(sink, topic, i + 1);
  if (s.range) {
    const shared = new Uint8Array(PAYLOADS * size);
    const payloads = Array.from({ length: PAYLOADS }, (_, i) =>
      shared.subarray(i * size, (i + 1) * size).fill(i & 0xff),
    );
    return { broker, topic, sinks, payloads, shared, size };
  }
  const payloads = Array.from({ length: PAYLOADS }, (_, i) => new Uint8Array(size).fill(i & 0xff));
  return { broker, topic, sinks, payloads, shared: null, size };
}

/** publishLoop for range rows (fanout, no acks): payload i is bytes i*size .. (i+1)*size of `shared`. */
function publishRangeLoop({ broker, topic, shared, size }: Setup, n: number): void {
  const buf = shared!;
  const mask = PAYLOADS - 1;
  for (let i = 0; i < n; i++) {
    const start = (i & mask) * size;
    broker.publish(topic, buf, start, start + size);
  }
}

/** Publishes `n` messages; with manual acks, acks all outstanding every ACK_BATCH publishes. */
function publishLoop({ broker, topic, sinks, payloads }: Setup, n: number, ack: boolean): void {
  const mask = PAYLOADS - 1;
  for (let i = 0; i < n; i++) {
    broker.publish(topic, payloads[i & mask]!);
    if (ack && (i & (ACK_BATCH - 1)) === ACK_BATCH - 1) ackAll(broker, sinks as AckingSink[]);
  }
}

function ackAll(broker: Broker, sinks: AckingSink[]): void {
  for (const sink of sinks) sink.ackAll(broker);
}

/** Like publishLoop, timing every SAMPLE_EVERY-th publish on its own. */
function sampledLoop(
  { broker, topic, sinks, payloads, shared, size }: Setup,
  n: number,
  ack: boolean,
  histogram: ReturnType<typeof nsHistogram>,
): void {
  const mask = PAYLOADS - 1;
  for (let i = 0; i < n; i++) {
    const payload = payloads[i & mask]!;
    if (i % SAMPLE_EVERY === 0) {
      const start = (i & mask) * size;
      const t0 = process.hrtime.bigint();
      if (shared === null) broker.publish(topic, payload);
      else broker.publish(topic, shared, start, start + size);
      const t1 = process.hrtime.bigint();
      histogram.recordValue(Number(t1 - t0));
    } else if (shared === null) {
      broker.publish(topic, payload);
    } else {
      const start = (i & mask) * size;
      broker.publish(topic, shared, start, start + size);
    }
    if (ack && (i & (ACK_BATCH - 1)) === ACK_BATCH - 1) ackAll(broker, sinks as AckingSink[]);
  }
}

interface ThroughputRow {
  scenario: string;
  payloadBytes: number;
  /** Messages per round. */
  messages: number;
  /** Best round. */
  seconds: number;
  msgPerSec: number;
  /** Process CPU time / wall time in the best round (1 = it had a core to itself). */
  cpuShare: number;
  roundsMsgPerSec: number[];
  deliveriesPerSec: number;
  p50Ns: number;
  p99Ns: number;
  p999Ns: number;
  maxNs: number;
}

function runScenario(s: Scenario, size: number): ThroughputRow {
  const ack = s.ack === AckMode.Manual;
  const count = size <= 64 ? COUNTS.small : COUNTS.large;
  const st = setup(s, size);
  const loop = s.range ? publishRangeLoop : publishLoop;
  loop(st, COUNTS.warmup, ack);
  const perRound = Math.ceil(count / ROUNDS);
  let seconds = Number.POSITIVE_INFINITY;
  let cpuShare = 0;
  const roundsMsgPerSec: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    loop(st, perRound, ack);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    roundsMsgPerSec.push(perRound / wall);
    if (wall < seconds) {
      seconds = wall;
      cpuShare = (cpu.user + cpu.system) / 1e6 / wall;
    }
  }
  const histogram = nsHistogram();
  sampledLoop(st, COUNTS.latency, ack, histogram);
  if (ack) ackAll(st.broker, st.sinks as AckingSink[]);
  // Check the work was done: every message reached every fanout subscriber / one queue consumer.
  const published = COUNTS.warmup + perRound * ROUNDS + COUNTS.latency;
  const delivered = st.sinks.reduce((n, sink) => n + sink.delivered, 0);
  const expected = s.routing === Routing.Fanout ? published * s.subscribers : published;
  if (delivered !== expected) throw new Error(`${s.name}: ${delivered} deliveries, expected ${expected}`);
  const perSink = s.routing === Routing.Fanout ? s.subscribers : 1;
  return {
    scenario: s.name,
    payloadBytes: size,
    messages: perRound,
    seconds,
    msgPerSec: perRound / seconds,
    cpuShare,
    roundsMsgPerSec,
    deliveriesPerSec: (perRound * perSink) / seconds,
    p50Ns: histogram.getValueAtPercentile(50),
    p99Ns: histogram.getValueAtPercentile(99),
    p999Ns: histogram.getValueAtPercentile(99.9),
    maxNs: histogram.maxValue,
  };
}

interface MemoryRow {
  subscribers: number;
  subscriptionsBytes: number;
  perSubscriptionBytes: number;
  heldMessages: number;
  heldBytes: number;
  perHeldMessageBytes: number;
}

async function runMemory(n: number): Promise<MemoryRow> {
  const sinks = Array.from({ length: n }, () => new CountSink());
  const broker = new Broker();
  const topic = broker.createTopic('mem', { routing: Routing.Fanout, bufferSize: COUNTS.held });
  const m0 = await memoryNow();
  for (const [i, sink] of sinks.entries()) broker.subscribe(sink, topic, i);
  const m1 = await memoryNow();
  // Fresh payloads, as a server hands over one buffer per message: the ring holds one of each,
  // however many subscribers read it.
  for (let i = 0; i < COUNTS.held; i++) broker.publish(topic, new Uint8Array(1024));
  const m2 = await memoryNow();
  // Use the broker and the sinks after the last snapshot: an async function keeps only variables
  // still to be used across an await, so otherwise they could be collected before it.
  const delivered = sinks.reduce((sum, s) => sum + s.delivered, 0);
  const held = broker.topicStats('mem').depth;
  if (delivered !== n * COUNTS.held || held !== COUNTS.held) {
    throw new Error(`memory run: ${delivered} deliveries, ${held} held`);
  }
  return {
    subscribers: n,
    subscriptionsBytes: m1 - m0,
    perSubscriptionBytes: (m1 - m0) / n,
    heldMessages: COUNTS.held,
    heldBytes: m2 - m1,
    perHeldMessageBytes: (m2 - m1) / COUNTS.held,
  };
}

async function main(): Promise<void> {
  const clockNs = clockOverheadNs();
  console.log(
    `mycelium core bench${quick ? ' (--quick)' : ''}: Node ${process.version}, ${cpus()[0]?.model}`,
  );
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (${cpus().length} cores)`,
  );
  console.log(`latency: every ${SAMPLE_EVERY}th publish timed; an hrtime.bigint() pair costs ~${clockNs} ns`);

  // Memory first, before the throughput runs leave garbage and compiled code behind; one unrecorded
  // run first so that compiling subscribe and publish is not counted against the first row.
  const memory: MemoryRow[] = [];
  if (only === undefined || only === 'memory') {
    await runMemory(10);
    for (const n of COUNTS.subscribers) {
      // Median of three: a lone snapshot pair can be off by a few hundred KiB (lazy compilation,
      // background GC work), which is all of the 1-subscriber row.
      const runs = [await runMemory(n), await runMemory(n), await runMemory(n)];
      runs.sort((a, b) => a.subscriptionsBytes - b.subscriptionsBytes);
      const heldMedian = [...runs].sort((a, b) => a.heldBytes - b.heldBytes)[1]!;
      memory.push({
        ...runs[1]!,
        heldBytes: heldMedian.heldBytes,
        perHeldMessageBytes: heldMedian.perHeldMessageBytes,
      });
    }
  }

  const rows: ThroughputRow[] = [];
  for (const size of SIZES) {
    for (const s of SCENARIOS)
      if (only === undefined || s.name.includes(only)) rows.push(runScenario(s, size));
  }
  console.log(`\nthroughput: best of ${ROUNDS} rounds; latency of publish (routing and delivery included)`);
  console.log(
    table(
      ['scenario', 'payload', 'msg/s', 'deliveries/s', 'cpu', 'p50', 'p99', 'p99.9', 'max'],
      rows.map((r) => [
        r.scenario,
        `${r.payloadBytes} B`,
        millions(r.msgPerSec),
        millions(r.deliveriesPerSec),
        `${Math.round(r.cpuShare * 100)} %`,
        `${r.p50Ns} ns`,
        `${r.p99Ns} ns`,
        `${r.p999Ns} ns`,
        `${(r.maxNs / 1000).toFixed(0)} µs`,
      ]),
    ),
  );

  if (memory.length > 0) {
    console.log(`\nmemory, one fanout topic (heapUsed + arrayBuffers deltas after GC)`);
    console.log(
      table(
        [
          'subscribers',
          'subscriptions',
          'per subscription',
          `${COUNTS.held} x 1 KiB held`,
          'per held message',
        ],
        memory.map((m) => [
          String(m.subscribers),
          showBytes(m.subscriptionsBytes),
          showBytes(m.perSubscriptionBytes),
          showBytes(m.heldBytes),
          showBytes(m.perHeldMessageBytes),
        ]),
      ),
    );
  }

  const headline = rows.find((r) => r.scenario === 'fanout -> 1' && r.payloadBytes === 16);
  if (headline === undefined) return;
  const targets = {
    fanout1MsgPerSec: {
      target: TARGET_MSGS,
      value: headline.msgPerSec,
      met: headline.msgPerSec >= TARGET_MSGS,
    },
    publishP99Ns: { target: TARGET_P99_NS, value: headline.p99Ns, met: headline.p99Ns < TARGET_P99_NS },
  };
  console.log(
    `\ntargets (fanout -> 1, 16 B): >= ${millions(TARGET_MSGS)} msg/s: ${targets.fanout1MsgPerSec.met ? 'met' : 'MISSED'}` +
      `; publish p99 < ${TARGET_P99_NS} ns: ${targets.publishP99Ns.met ? 'met' : 'MISSED'}`,
  );

  if (quick || only !== undefined) return; // a smoke or partial run writes no result file
  const date = new Date().toISOString();
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `core-${date.replace(/[:.]/g, '-')}.json`);
  const result = {
    date,
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    loadAverage: loadavg(),
    counts: COUNTS,
    method: {
      rounds: ROUNDS,
      sampleEvery: SAMPLE_EVERY,
      clockOverheadNs: clockNs,
      payloadObjects: PAYLOADS,
      ackBatch: ACK_BATCH,
    },
    throughput: rows,
    memory,
    targets,
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

await main();
