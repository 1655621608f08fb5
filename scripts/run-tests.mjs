#!/usr/bin/env node
// Runs every test/**/*.test.ts file through node:test with tsx, so the suite runs from source on
// Node 20 (whose --test flag does not expand globs). Extra arguments are passed to node --test,
// e.g. `npm test -- --test-name-pattern=fanout`. A file or directory argument narrows the run to it.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

/**
 * A watchdog, not a timed assertion: a test file still running after this long is stopped and
 * fails the run, so a test that waits forever (a lost frame, a server left open) costs CI minutes,
 * not its whole time limit. The slowest file takes about a minute here. On Node 20,
 * --test-timeout bounds each file's process as a whole (`-- --test-timeout=N` overrides it).
 * Node 20 before 20.11 has no such flag and runs without the watchdog.
 */
const WATCHDOG_MS = 10 * 60 * 1000;
const [major, minor] = process.versions.node.split('.').map(Number);
const watchdog = major > 20 || (major === 20 && minor >= 11) ? [`--test-timeout=${WATCHDOG_MS}`] : [];

const args = process.argv.slice(2);
const paths = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
// A directory argument runs every test file below it.
const files = (paths.length > 0 ? paths : ['test'])
  .flatMap((path) => (statSync(path).isDirectory() ? findTests(path) : [path]))
  .sort();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...watchdog, ...flags, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
