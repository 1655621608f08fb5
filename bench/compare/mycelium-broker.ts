/**
 * Starting Mycelium for the suite: `node dist/cli/main.js serve -c <temp toml>` (the compiled
 * broker, as `npm start` runs it: built first with `npm run build`), its own process, with a temp
 * config that declares the bench topics, a Unix socket in a temp dir and a free loopback TCP port.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Broker, freePort, spawnBroker } from './peers.ts';
import { benchTopic, PAYLOAD_SIZES } from './types.ts';

/** The repository root (bench/compare/ is two levels down). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'src/cli/main.ts');
const SERVER = join(ROOT, 'src/server/index.ts');
/** The compiled CLI the broker runs from, so its memory rows do not include a TypeScript loader. */
const BUILT_CLI = join(ROOT, 'dist/cli/main.js');

/** Why Mycelium cannot be run from this tree, or null when it can. */
export function myceliumMissing(): string | null {
  for (const file of [SERVER, CLI]) if (!existsSync(file)) return `${file} does not exist yet`;
  return null;
}

let built = false;

/** Compiles src/ to dist/ once per suite run, so the broker measured is the current source. */
function buildOnce(): void {
  if (built) return;
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  built = true;
}

/**
 * Messages a bench topic holds, per payload size: about 64 MiB of frames either way, the amount
 * nats-server lets a slow consumer fall behind before it drops it. A subscriber descheduled for a
 * moment (2 cores, three busy processes) is then not counted as lost by Mycelium alone.
 */
export const BUFFER_SIZES: Record<(typeof PAYLOAD_SIZES)[number], number> = { 16: 1_048_576, 1024: 65_536 };

/**
 * The bench config: a fanout and a queue topic per payload size. A fanout subscriber that falls
 * further behind than its topic holds gets LAGGED (the row is marked as overflowed); the queue
 * topics use `block`, so a full queue slows the publisher instead of refusing messages. Metrics
 * are off (two brokers at once must not fight over the metrics port), logging is at warn (10,000
 * connections must not be measured through their log lines), and a short shutdown grace keeps
 * restarts quick.
 */
export function benchConfig(port: number, socketPath: string): string {
  const topics = PAYLOAD_SIZES.flatMap((size) => [
    `[[topics]]\nname = "${benchTopic('fanout', size)}"\nrouting = "Fanout"\nbuffer_size = ${BUFFER_SIZES[size]}\n`,
    `[[topics]]\nname = "${benchTopic('queue', size)}"\nrouting = "Queue"\nbuffer_size = ${BUFFER_SIZES[size]}\noverflow = "block"\n`,
  ]);
  return `# Written by bench/compare for one run (in its temp dir).
[server]
bind_address = "127.0.0.1"
port = ${port}
socket_path = "${socketPath}"
max_connections = 20000
log_level = "warn"
shutdown_grace_ms = 1000

[metrics]
enabled = false

${topics.join('\n')}`;
}

/**
 * Extra node flags for the Mycelium broker only, from MYCELIUM_BENCH_BROKER_ARGS (space-separated),
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the broker under a workload while the load
 * generators run unprofiled.
 */
function brokerNodeArgs(): string[] {
  return (process.env.MYCELIUM_BENCH_BROKER_ARGS ?? '').split(' ').filter((a) => a !== '');
}

/** Starts a Mycelium broker serving the Unix socket and TCP systems. */
export async function startMycelium(dir: string, tag: string): Promise<Broker> {
  const port = await freePort();
  const socketPath = join(dir, `${tag}.sock`);
  const configPath = join(dir, `${tag}.toml`);
  writeFileSync(configPath, benchConfig(port, socketPath));
  buildOnce();
  return spawnBroker(
    'mycelium',
    process.execPath,
    [...brokerNodeArgs(), BUILT_CLI, 'serve', '-c', configPath],
    {
      'mycelium-unix': { kind: 'unix', path: socketPath },
      'mycelium-tcp': { kind: 'tcp', host: '127.0.0.1', port },
    },
    join(dir, `${tag}.log`),
    ROOT,
  );
}
