/**
 * RELIABILITY.md H2, the variants that need a broker process of its own (test/reload/invalid.test.ts
 * runs the table of invalid files against an in-process server):
 *
 * - EMFILE at reload time: a broker with a small open-files limit is filled with connections
 *   until it refuses one; it must go on serving the connections it has, end the ones it cannot
 *   take cleanly, and reject a reload (it cannot open the file) without touching the running config.
 * - An unreadable config file (mode 000), and a reload must be rejected with the read error. Root
 *   reads a file of any mode, so when the tests run as root the broker runs without the two
 *   capabilities that allow it (`setpriv`, util-linux), still as root: running it as another user
 *   would shut it out of the project too wherever the checkout is private (a `mktemp -d` clone).
 *
 * Each fault gets two reloads, by the file watch (the file is replaced with a valid, changed
 * configuration) and by SIGHUP. The rejection is read from the broker's log line (code, problem),
 * counted (one line per reload asked, none applied), the running configuration is seen unchanged
 * through what two of its settings do, and the broker is seen serving by a confirmed publish
 * reaching a subscriber. Then the fault is taken away and the same file must apply with exactly
 * the changes it holds: had a rejected reload changed anything, the change list would differ.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chmod, rename, writeFile } from 'node:fs/promises';
import { after, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { type ChildBroker, type LogLine, startChildBroker } from './helpers/child.ts';
import {
  type Attempt,
  attempt,
  type ConfigView,
  freeDescriptors,
  openFilesLimit,
  Probe,
  overridesFileModes,
} from './helpers/reload-faults-probe.ts';
import { recordEq } from './helpers/results.ts';
import { until, type WireClient } from './helpers/wire-client.ts';

/**
 * Small enough to fill in a second or two; large enough for the broker to start under it: tsx
 * opens many module files at once on a cold cache, and a limit below ~100 can end start-up with
 * EMFILE before the broker listens.
 */
const FD_LIMIT = 256;
/** A cap on the connections opened to fill the table: past it the limit was not reached. */
const MAX_FILLERS = 4 * FD_LIMIT;
/** Connections tried once the table is full, alternating Unix and TCP. */
const REFUSED_TRIES = 10;
/** What a root test runs the broker under, so that a file's mode applies to it. */
const WITHOUT_FILE_OVERRIDE = ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'];
/** How long a log line may take to come (a hang guard only). */
const LOG_GUARD_MS = 30_000;

const BASE_TOML = `[server]
max_subscriptions_per_connection = 2

[[topics]]
name = "probe"

[[topics]]
name = "spare"
`;

/** The running file with both observable settings changed: what a rejected reload must not apply. */
function changed(text: string): string {
  const next = text.replace('max_subscriptions_per_connection = 2', 'max_subscriptions_per_connection = 3');
  assert.notEqual(next, text, 'the base config lost max_subscriptions_per_connection = 2');
  return `${next}\n[[topics]]\nname = "added"\n`;
}

/** What the base configuration does: a third SUB refused, topic `added` unknown. */
const BEFORE: ConfigView = { thirdSubscription: 'TOO_MANY_SUBSCRIPTIONS', addedTopic: 'TOPIC_NOT_FOUND' };
/** What the changed configuration does. */
const AFTER: ConfigView = { thirdSubscription: 'SUB_ACK', addedTopic: 'SUB_ACK' };
/** The changes the valid reload must report: exactly these, from the base configuration. */
const CHANGES = ['server.max_subscriptions_per_connection: 2 -> 3', 'topic "added": added (Fanout)'];

const REJECTED = 'config reload rejected; the running configuration is unchanged';
const APPLIED = 'config reload applied';
/** How a connection the broker cannot take may end: closed, reset, or refused by the kernel. */
const CLEAN_ENDS = new Set([undefined, 'ECONNRESET', 'EPIPE', 'EAGAIN', 'ECONNREFUSED']);

/** Replaces `file` the way deploy tools do (write beside it, rename over), with mode `mode`. */
async function replace(file: string, text: string, mode: number): Promise<void> {
  const temp = `${file}.new`;
  await writeFile(temp, text, { mode });
  await chmod(temp, mode);
  await rename(temp, file);
}

const summary = (a: Attempt) => ({ welcomed: a.client !== undefined, ended: a.ended, error: a.error });

/**
 * What a variant showed, pessimistic until shown: a variant that stops half-way counts as not
 * rejected and changed, so the figures never pass on a run that did not finish.
 */
interface Outcome {
  /** Both reloads during the fault were rejected with the expected code and problem, none applied. */
  rejected: boolean;
  /** The base configuration was in force after them, and the valid reload changed exactly the file's keys. */
  unchanged: boolean;
  /** Every round trip succeeded, from before the fault to the end, and the process never exited. */
  up: boolean;
}
const VARIANTS = ['EMFILE at reload time', 'an unreadable config file'] as const;
const outcomes = new Map<(typeof VARIANTS)[number], Outcome>();

/** One variant: its broker, the probe connections made before the fault, and what it showed. */
class Run {
  readonly o: Outcome = { rejected: false, unchanged: false, up: false };
  readonly held: WireClient[] = [];
  probe: Probe | undefined;
  #served = true;

  constructor(
    variant: (typeof VARIANTS)[number],
    readonly b: ChildBroker,
  ) {
    outcomes.set(variant, this.o);
  }

  /** Opens the probe and checks the base configuration is in force and served. */
  async start(): Promise<void> {
    this.probe = await Probe.open(this.b);
    await this.serves('before the fault');
    assert.deepEqual(await this.probe.view(), BEFORE);
  }

  /** A confirmed publish reaches the subscriber (a failure marks the broker down). */
  async serves(tag: string): Promise<void> {
    try {
      await this.probe!.roundTrip(tag);
    } catch (err) {
      this.#served = false;
      throw err;
    }
  }

  /** The broker's n-th reload log line (1-based), whatever its outcome. */
  reload(n: number, what: string): Promise<LogLine> {
    return this.b.waitFor((l) => l === this.reloadLines()[n - 1], what, LOG_GUARD_MS);
  }

  reloadLines(): LogLine[] {
    return this.b.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('config reload'));
  }

  /**
   * Asks for the two reloads while the fault holds (the file replaced by `changed`, then SIGHUP):
   * each must be rejected with CONFIG_READ and `problem`, one warn line each, nothing applied.
   */
  async rejectBoth(mode: number, problem: string): Promise<void> {
    const b = this.b;
    assert.deepEqual(this.reloadLines(), [], 'a reload ran before the fault');
    await replace(b.file, changed(readFileSync(b.file, 'utf8')), mode);
    const byWatch = await this.reload(1, 'the file-watch reload');
    process.kill(b.pid, 'SIGHUP');
    const byHup = await this.reload(2, 'the SIGHUP reload');
    const want = (trigger: string) => ({
      level: 40,
      msg: REJECTED,
      trigger,
      code: 'CONFIG_READ',
      source: b.file,
      problems: [`${b.file}: ${problem}`],
    });
    const got = [byWatch, byHup].map((l) => ({
      level: l.level,
      msg: l.msg,
      trigger: l.trigger,
      code: l.code,
      source: l.source,
      problems: l.problems,
    }));
    this.o.rejected = isDeepStrictEqual(got, [want('file watch'), want('SIGHUP')]);
    assert.deepEqual(got, [want('file watch'), want('SIGHUP')]);
  }

  /** The base configuration is still in force, no other reload ran, and the broker serves. */
  async stillBase(): Promise<void> {
    const view = await this.probe!.view();
    this.o.unchanged = isDeepStrictEqual(view, BEFORE);
    assert.deepEqual(view, BEFORE, 'the running configuration changed');
    assert.equal(this.reloadLines().length, 2, 'a reload ran that was not asked for');
    await this.serves('after the rejections');
  }

  /** The third reload applied exactly the file's changes, which are now in force. */
  async appliedAll(trigger: string): Promise<void> {
    const line = await this.reload(3, `the ${trigger} reload once the fault is gone`);
    const view = await this.probe!.view();
    const got = { msg: line.msg, trigger: line.trigger, changes: line.changes, view };
    const want = { msg: APPLIED, trigger, changes: CHANGES, view: AFTER };
    this.o.unchanged &&= isDeepStrictEqual(got, want);
    assert.deepEqual(got, want, 'the valid reload did not apply the file over the base configuration');
    await this.serves('after the valid reload');
  }

  /** Decides `up`, then closes everything (in a `finally`: a failed run still counts). */
  async end(): Promise<void> {
    const alive = (): boolean => this.b.proc.exitCode === null && this.b.proc.signalCode === null;
    if (this.#served && this.probe !== undefined && alive()) {
      await this.serves('at the end').catch(() => undefined);
    }
    this.o.up = this.#served && this.probe !== undefined && alive();
    for (const c of this.held) c.destroy();
    this.probe?.close();
    await this.b.stop();
  }
}

describe('H2: a reload that cannot read its file is rejected and changes nothing (child broker)', () => {
  after(() => {
    const done = VARIANTS.map((v) => outcomes.get(v) ?? { rejected: false, unchanged: false, up: false });
    const count = (f: (o: Outcome) => boolean): number => done.filter(f).length;
    const n = VARIANTS.length;
    const what = 'fault variants rejected (EMFILE at reload, unreadable file)';
    recordEq(
      'H2',
      what,
      count((o) => o.rejected),
      n,
      'variants',
    );
    recordEq(
      'H2',
      'fault variants with the running config changed',
      count((o) => !o.unchanged),
      0,
      'variants',
    );
    recordEq(
      'H2',
      'fault variants with the broker down',
      count((o) => !o.up),
      0,
      'variants',
    );
  });

  test('EMFILE at reload time: connections past the fd limit end cleanly, the reload is rejected with CONFIG_READ (EMFILE), the broker serves on and applies the file once descriptors are free', async () => {
    const run = new Run(
      'EMFILE at reload time',
      await startChildBroker({ toml: BASE_TOML, shell: `ulimit -n ${FD_LIMIT}` }),
    );
    const { b, held } = run;
    try {
      assert.equal(openFilesLimit(b.pid), FD_LIMIT);
      await run.start();
      // The default max_connections (1000) cannot fit: the start-up said so, since the refusals
      // below leave no line of their own.
      const warning = await b.waitLog('max_connections is 1000 but the open-files limit is 256');
      assert.equal(warning.level, 40);

      // Fill the descriptor table: connections until the broker cannot take one.
      let first: Attempt | undefined;
      for (let i = 0; i < MAX_FILLERS && first === undefined; i++) {
        const a = await attempt(i % 2 === 0 ? b.tcp : b.unix, `filler-${i}`);
        if (a.client === undefined) first = a;
        else held.push(a.client);
      }
      assert.ok(first !== undefined, `${MAX_FILLERS} connections were all taken: the fd limit never bit`);
      // libuv refuses a connection at the limit by closing its reserve descriptor, accepting and
      // closing the connection, then opening the reserve again: the client can see the close
      // before the reserve is back, so the full table is waited for rather than read once.
      await until(
        () => freeDescriptors(b.pid, FD_LIMIT).length === 0,
        "the broker's descriptor table fills after a refused connection",
      );
      const refused = [first];
      for (let i = 0; i < REFUSED_TRIES; i++) {
        const a = await attempt(i % 2 === 0 ? b.unix : b.tcp, `refused-${i}`);
        if (a.client !== undefined) held.push(a.client);
        refused.push(a);
      }
      const unclean = refused.map(summary).filter((s) => s.welcomed || !s.ended || !CLEAN_ENDS.has(s.error));
      assert.deepEqual(unclean, [], 'a connection past the limit was taken, hung, or ended uncleanly');
      await run.serves('descriptors exhausted');

      await run.rejectBoth(
        0o644,
        'cannot read the configuration file: too many open files (EMFILE); the process is out of file descriptors',
      );
      assert.deepEqual(freeDescriptors(b.pid, FD_LIMIT), [], 'descriptors came free during the reloads');
      await run.stillBase();

      // Free the descriptors: new connections are taken again, and SIGHUP now applies the file.
      const closesBefore = b.closes().length;
      const fillers = held.splice(0);
      for (const c of fillers) c.destroy();
      await until(() => b.closes().length >= closesBefore + fillers.length, 'the broker closes the fillers');
      for (const target of [b.tcp, b.unix]) {
        const a = await attempt(target, 'after-the-fds-came-free');
        if (a.client !== undefined) held.push(a.client);
        assert.deepEqual(
          summary(a),
          { welcomed: true, ended: false, error: undefined },
          'a new connection was refused',
        );
      }
      process.kill(b.pid, 'SIGHUP');
      await run.appliedAll('SIGHUP');
    } finally {
      await run.end();
    }
  });

  const asRoot = process.getuid?.() === 0;
  test(`an unreadable config file: the reload is rejected with CONFIG_READ (EACCES), the broker serves on and applies the file once readable (broker ${asRoot ? 'without CAP_DAC_OVERRIDE' : 'as this user'})`, async () => {
    const run = new Run(
      'an unreadable config file',
      await startChildBroker(
        asRoot ? { toml: BASE_TOML, prefix: WITHOUT_FILE_OVERRIDE } : { toml: BASE_TOML },
      ),
    );
    const { b, held } = run;
    try {
      assert.equal(overridesFileModes(b.pid), false, 'the broker can read a file whatever its mode');
      await run.start();

      await run.rejectBoth(0o000, 'cannot read the configuration file: permission denied (EACCES)');
      await run.stillBase();
      const fresh = await attempt(b.tcp, 'while-unreadable');
      if (fresh.client !== undefined) held.push(fresh.client);
      assert.deepEqual(
        summary(fresh),
        { welcomed: true, ended: false, error: undefined },
        'a new connection was refused',
      );

      // Readable again: the mode change is itself a change the file watch sees, and applies.
      await chmod(b.file, 0o644);
      await run.appliedAll('file watch');
    } finally {
      await run.end();
    }
  });
});
