/**
 * D4: model-based queue and fanout semantics over real sockets (RabbitMQ classic_queue_prop_SUITE,
 * whose NUM_TESTS is 500). fast-check generates sequences of publish (confirmed or not), subscribe
 * (fanout, manual-ack queue, ack "none" queue), ack, unsubscribe (the protocol's nack-requeue),
 * close, kill, reload (API or RELOAD op) and make-slow against one in-process server, over Unix and
 * TCP clients in turn. The model keeps confirmed / refused / uncertain publishes and what each
 * consumer holds and acked, checks every frame as it arrives (helpers/model-observe.ts) and the
 * promises at the end of each sequence (helpers/model-settle.ts).
 *
 * Replay a failure with MYCELIUM_SEED=<seed> MYCELIUM_D4_PATH=<path>, plus MYCELIUM_D4_REPLAY=<the
 * counterexample's replayPath comment> to skip re-shrinking the commands (all three are logged).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Close, type Cmd, commandArb, Publish, Subscribe, settingsArb } from './helpers/model-commands.ts';
import { type ModelServer, type Settings, startModelServer } from './helpers/model-server.ts';
import { runSequence } from './helpers/model-settle.ts';
import { emptyCoverage, type World } from './helpers/model-world.ts';
import { recordEq, recordInfo, SEED, SOAK } from './helpers/results.ts';

/** RELIABILITY.md D4: 500 sequences in CI (RabbitMQ's NUM_TESTS), ten times that in the soak tier. */
const SEQUENCES = SOAK ? 5_000 : 500;
/** Commands per sequence, at most. */
const MAX_COMMANDS = 100;
/** fast-check's run path of a failure, to replay it. */
const RUN_PATH = process.env.MYCELIUM_D4_PATH;
/** The commands' replayPath of a failure (printed in the counterexample), with RUN_PATH. */
const COMMANDS_PATH = process.env.MYCELIUM_D4_REPLAY;

/** fast-check's report, the violation, and the variables that replay the shrunk counterexample. */
function replayReport<T>(details: fc.RunDetails<T>): string {
  const commands = /replayPath="([^"]*)"/.exec(fc.stringify(details.counterexample))?.[1] ?? '';
  const vars = `MYCELIUM_SEED=${details.seed} MYCELIUM_D4_PATH=${details.counterexamplePath} MYCELIUM_D4_REPLAY='${commands}'`;
  return `${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}\nreplay: ${vars}`;
}

/** A server whose close events go to the world of the sequence running now. */
async function modelServer(): Promise<{ h: ModelServer; setWorld: (w: World | undefined) => void }> {
  const h = await startModelServer();
  let current: World | undefined;
  h.onClose((info) => current?.serverClosed(info));
  return { h, setWorld: (w) => (current = w) };
}

test(`D4: ${SEQUENCES} random command sequences over Unix and TCP keep the queue and fanout promises`, async () => {
  const { h, setWorld } = await modelServer();
  const coverage = emptyCoverage();
  let sequences = 0;
  try {
    const property = fc.asyncProperty(
      settingsArb,
      fc.commands([commandArb], { maxCommands: MAX_COMMANDS, size: 'max', replayPath: COMMANDS_PATH }),
      (settings, cmds) => runSequence(h, ++sequences, settings, cmds, coverage, setWorld),
    );
    const details = await fc.check(property, {
      numRuns: SEQUENCES,
      seed: SEED,
      ...(RUN_PATH === undefined ? {} : { path: RUN_PATH }),
    });
    const counterexamples = details.failed ? 1 : 0;
    const report = details.failed ? replayReport(details) : '';
    if (details.failed) console.error(report);
    const okRuns = recordEq('D4', 'sequences run without a counterexample', details.numRuns, SEQUENCES);
    recordInfo('D4', 'sequences run (shrinking included)', sequences, 'count');
    recordInfo('D4', 'commands executed', coverage.commands, 'count');
    const okFailures = recordEq('D4', 'counterexamples', counterexamples, 0);
    recordInfo('D4', 'deliveries checked', coverage.deliveries, 'count');
    recordInfo('D4', 'queue redeliveries checked', coverage.redeliveries, 'count');
    recordInfo('D4', 'LAGGED notices checked', coverage.laggedNotices, 'count');
    recordInfo('D4', 'QUEUE_FULL refusals checked', coverage.queueFull, 'count');
    recordInfo(
      'D4',
      'kills / closes / unsubscribes',
      `${coverage.kills} / ${coverage.closes} / ${coverage.unsubs}`,
      'count',
    );
    recordInfo(
      'D4',
      'reloads (API / RELOAD op)',
      `${coverage.reloadsApi} / ${coverage.reloadsWire}`,
      'count',
    );
    recordInfo('D4', 'make-slow commands', coverage.freezes, 'count');
    assert.ok(okFailures, `counterexample found:\n${report}`);
    assert.ok(okRuns, `${details.numRuns} of ${SEQUENCES} sequences ran`);
    // The model is only as good as what it saw: each behaviour it checks must have happened.
    for (const [what, n] of Object.entries(coverage))
      assert.ok(n > 0, `no ${what} in ${sequences} sequences`);
  } finally {
    await h.stop();
  }
});

/** Shrunk counterexamples, kept so that they run every time (the random search may miss them). */
const PINNED: { name: string; settings: Settings; cmds: () => Cmd[] }[] = [
  {
    // A fanout subscriber with channel_capacity 2 is behind after two deliveries, so the publisher
    // is paused (publisher_stall_ms) with PUBs read but not yet handled; its FIN must not drop them.
    name: 'every PUB read before a publisher FIN is handled, also while a publisher stall pauses it',
    settings: { fanoutBuffer: 2, manualBuffer: 2, prefetch: 1, noneBuffer: 2, channelCapacity: 2 },
    cmds: () => [new Subscribe(1, 0), new Publish(0, 0, false, 6, 8), new Close(0, false)],
  },
];

for (const pinned of PINNED) {
  test(`D4 pinned: ${pinned.name}`, async () => {
    const { h, setWorld } = await modelServer();
    try {
      // Twenty times: the stall is a race between the server's read of the burst and the FIN.
      for (let i = 1; i <= 20; i++)
        await runSequence(h, i, pinned.settings, pinned.cmds(), emptyCoverage(), setWorld);
    } finally {
      await h.stop();
    }
  });
}
