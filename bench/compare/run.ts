/**
 * `npm run bench:compare [-- --quick] [--runs N] [--only mycelium,nats,redis] [--sections ...]`
 *
 * Runs the same workloads against Mycelium (Unix socket and TCP), nats-server and redis-server,
 * each broker and each load generator its own process, and writes
 * `compare-<ISO date>.{json,md,svg}` (bench/results/ by default). Exits non-zero only on a real
 * failure: a crash, a timeout, or messages lost where no overflow policy explains it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerSet } from './brokers.ts';
import { ROOT } from './mycelium-broker.ts';
import { parseOptions, USAGE } from './options.ts';
import { buildPlan } from './plan.ts';
import { renderMarkdown, type RunInfo } from './report-md.ts';
import { renderSvg } from './report-svg.ts';
import { failures, summarize } from './summary.ts';
import { notApplicable, runSuite } from './suite.ts';

const log = (line: string): void => console.log(`[compare] ${line}`);

function packageVersion(name: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return 'not installed';
  }
}

/** The 1-minute load average: other work on the machine skews every figure, so it is recorded. */
function load(): string {
  return (loadavg()[0] ?? 0).toFixed(2);
}

function environment(brokers: BrokerSet, loadBefore: string): Record<string, string> {
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).stdout.trim();
  const versions = brokers.versions();
  return {
    machine: `${cpus()[0]?.model ?? 'unknown cpu'} · ${cpus().length} cores (shared by brokers and load generators)`,
    system: `Linux ${release()} · Node ${process.version}`,
    'nats-server': versions.nats ?? 'not run',
    'redis-server': versions.redis ?? 'not run',
    clients: `nats ${packageVersion('nats')} · ioredis ${packageVersion('ioredis')}`,
    mycelium: `commit ${commit || 'unknown'}${dirty ? ' + uncommitted changes in src/' : ''}`,
    'load average (1 min) before / after': `${loadBefore} / ${load()}`,
  };
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const started = Date.now();
  const loadBefore = load();
  const work = mkdtempSync(join(tmpdir(), 'myc-compare-'));
  const brokers = new BrokerSet(work, options.only, log);
  const notes: string[] = [];
  for (const [id, why] of Object.entries(brokers.skipped)) {
    log(`skipping ${id}: ${why}`);
    notes.push(`${id} skipped: ${why}`);
  }
  const stop = (): void => {
    brokers.stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const plan = buildPlan(options.quick, options.sections).filter(
    (m) => options.match === null || m.id.includes(options.match),
  );
  if (plan.length === 0) throw new Error(`--match ${options.match}: no measurement id contains it`);
  log(
    `${options.quick ? 'quick mode, ' : ''}${options.runs} run(s) of ${plan.length} measurements on ${brokers.systems().join(', ') || 'nothing'}`,
  );
  let cells: Awaited<ReturnType<typeof runSuite>>;
  try {
    cells = await runSuite(plan, brokers, options.runs, options.quick, log);
  } finally {
    await brokers.stopAll();
  }
  for (const c of cells)
    for (const n of c.notes ?? []) if (n.includes('scaled down')) notes.push(`${c.system}: ${n}`);

  const rows = summarize(plan, cells, notApplicable);
  const failed = failures(cells, options.quick);
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const command = `npm run bench:compare${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const info: RunInfo = {
    date,
    command,
    runs: options.runs,
    quick: options.quick,
    elapsedSeconds: (Date.now() - started) / 1000,
    environment: environment(brokers, loadBefore),
    notes: [...new Set(notes)],
  };
  const outDir = options.out ?? (options.quick ? join(work, 'results') : join(ROOT, 'bench/results'));
  mkdirSync(outDir, { recursive: true });
  const base = join(outDir, `compare-${date.replace(/:/g, '-')}`);
  const markdown = renderMarkdown(rows, failed, info);
  writeFileSync(
    `${base}.json`,
    `${JSON.stringify({ ...info, options, rows, failures: failed, cells }, null, 2)}\n`,
  );
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(`${base}.svg`, renderSvg(rows, `Mycelium / best peer — ${date}`));
  console.log(`\n${markdown}`);
  log(`wrote ${base}.{json,md,svg}`);
  if (options.quick && !options.out) log('(quick mode writes to a temp dir; --out DIR keeps them)');
  // The temp dir holds the broker logs (and, in quick mode, the results): keep it when it matters.
  if (failed.length === 0 && (!options.quick || options.out)) rmSync(work, { recursive: true, force: true });
  if (failed.length > 0) {
    log(`${failed.length} failure(s) (broker logs in ${work}):`);
    for (const f of failed) log(`  ${f.measurement} / ${f.system} / run ${f.run}: ${f.reason}`);
    return 1;
  }
  log(`done in ${info.elapsedSeconds.toFixed(0)} s, no failures`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`[compare] crashed: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
