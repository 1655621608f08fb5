/**
 * Entry of every load-generator process: `node --import tsx bench/compare/worker.ts '<job json>'`.
 * The parent (run.ts) drives it over the IPC channel; any failure is reported as `fatal` and the
 * process exits non-zero, which the parent counts as a crash.
 */
import { runClientLatency } from './roles/client-latency.ts';
import { runClientPub } from './roles/client-pub.ts';
import { runClientSub } from './roles/client-sub.ts';
import { runIdle } from './roles/idle.ts';
import { report } from './roles/io.ts';
import { runRawLatency } from './roles/raw-latency.ts';
import { runRawPub } from './roles/raw-pub.ts';
import { runRawSub } from './roles/raw-sub.ts';
import type { Job } from './types.ts';

function start(job: Job): Promise<void> {
  switch (job.role) {
    case 'sub':
      return job.api === 'raw' ? runRawSub(job) : runClientSub(job);
    case 'pub':
      return job.api === 'raw' ? runRawPub(job) : runClientPub(job);
    case 'latency':
      return job.api === 'raw' ? runRawLatency(job) : runClientLatency(job);
    case 'idle':
      return runIdle(job);
  }
}

const fail = (e: unknown): void => {
  report({ type: 'fatal', message: e instanceof Error ? e.message : String(e) });
  process.exitCode = 1;
  // Let the IPC message go out before the process ends.
  setTimeout(() => process.exit(1), 100);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
start(JSON.parse(process.argv[2] ?? '{}') as Job).catch(fail);
