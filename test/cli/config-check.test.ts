import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runConfigCheck } from '../../src/cli/commands/config-check.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { parseConfig, parseSetFlag } from '../../src/config/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples/broker.toml');
const dir = mkdtempSync(join(tmpdir(), 'mycelium-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The environment without any MYCELIUM_* variable, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith('MYCELIUM_')) env[name] = value;
  return { ...env, ...extra };
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node --import tsx src/cli/main.ts ...args` from the repository root. */
async function mycelium(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const argv = ['--import', 'tsx', 'src/cli/main.ts', ...args];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, argv, {
      cwd: ROOT,
      env: cleanEnv(env),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The TOML part of `config check` output (after the comment header). */
function printedConfig(stdout: string) {
  return parseConfig(stdout);
}

describe('mycelium config check (spawned)', () => {
  test('a valid file exits 0 and prints the effective configuration as TOML', async () => {
    const run = await mycelium(['config', 'check', 'examples/broker.toml']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^# Configuration OK: ${EXAMPLE}\n# Overrides applied: none\n`));
    assert.deepEqual(printedConfig(run.stdout), parseConfig(readFileSync(EXAMPLE)));
    assert.match(run.stdout, /\[\[topics\]\]\nname = "execution"/);
    assert.equal(run.stderr, '');
  });

  test('an invalid file exits 1 and lists every problem on stderr', async () => {
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, '[server]\nmax_connections = 0\n[[topics]]\nname = "a..b"\nbuffer_size = 0\n');
    const run = await mycelium(['config', 'check', bad]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      [
        'mycelium config check: the configuration is invalid (CONFIG_INVALID, 3 problems):',
        '  - server.max_connections: must be an integer >= 1 (got 0)',
        '  - topics[0].name: must not have an empty dot-separated part (no leading, trailing or double dot) (got "a..b")',
        '  - topics[0].buffer_size: must be an integer from 1 to 16777216 (got 0)',
        '',
      ].join('\n'),
    );
  });

  test('env overrides and --set flags are applied and listed', async () => {
    const run = await mycelium(
      ['config', 'check', '--set', 'server.max_connections=7', 'examples/broker.toml'],
      {
        MYCELIUM_SERVER__PORT: '0',
        MYCELIUM_SERVER__AUTH_TOKEN: 'hunter2',
      },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /# Overrides applied: MYCELIUM_SERVER__AUTH_TOKEN, MYCELIUM_SERVER__PORT, --set server\.max_connections\n# server\.auth_token is set \(not shown\)\n/,
    );
    assert.ok(!run.stdout.includes('hunter2'), 'the token must not be printed');
    const config = printedConfig(run.stdout);
    assert.deepEqual([config.server.port, config.server.max_connections], [0, 7]);
  });

  test('without a file it checks MYCELIUM_CONFIG, else the built-in defaults', async () => {
    const named = await mycelium(['config', 'check'], { MYCELIUM_CONFIG: EXAMPLE });
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stdout, new RegExp(`^# Configuration OK: ${EXAMPLE}\n`));
    const builtin = await mycelium(['config', 'check']);
    assert.equal(builtin.code, 0, builtin.stderr);
    assert.match(builtin.stdout, /^# Configuration OK: built-in defaults\n/);
    assert.deepEqual(
      printedConfig(builtin.stdout).topics.map((t: { name: string }) => t.name),
      ['events', 'jobs', 'bench', 'bench.queue'],
    );
  });

  test('a missing file exits 1 with CONFIG_READ', async () => {
    const run = await mycelium(['config', 'check', join(dir, 'missing.toml')]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /cannot read the configuration \(CONFIG_READ, 1 problem\):\n {2}- .*missing\.toml: .*ENOENT/,
    );
  });

  test('a --set without "=" is a usage error', async () => {
    const run = await mycelium(['config', 'check', '--set', 'server.port', 'examples/broker.toml']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /expected key=value/);
  });
});

describe('the program (in process)', () => {
  test('is named mycelium, carries the package version and registers config check', async () => {
    const program = await buildProgram();
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(program.name(), 'mycelium');
    assert.equal(program.version(), pkg.version);
    const config = program.commands.find((c) => c.name() === 'config');
    assert.ok(config?.commands.some((c) => c.name() === 'check'));
  });

  test('loads only the command a command line runs, and every command for help or an unknown word', async () => {
    const names = async (argv?: string[]): Promise<string[]> =>
      (await buildProgram(argv)).commands.map((c) => c.name());
    assert.deepEqual(await names(['node', 'mycelium', 'serve', '-c', 'x.toml']), ['serve']);
    assert.deepEqual(await names(['node', 'mycelium', 'config', 'check']), ['config']);
    const all = ['serve', 'config', 'pub', 'sub', 'bench', 'stats', 'reload'];
    assert.deepEqual(await names(), all);
    assert.deepEqual(await names(['node', 'mycelium', '--help']), all);
    assert.deepEqual(await names(['node', 'mycelium', 'serv']), all);
    assert.deepEqual(await names(['node', 'mycelium', 'constructor']), all);
  });

  test('runConfigCheck writes the TOML to stdout and returns 0, or the problems to stderr and returns 1', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
    };
    assert.equal(await runConfigCheck({ file: EXAMPLE, env: {} }, io), 0);
    assert.deepEqual(printedConfig(out.join('')), parseConfig(readFileSync(EXAMPLE)));
    const overrides = [parseSetFlag('performance.batch_size=0')];
    assert.equal(await runConfigCheck({ file: EXAMPLE, env: {}, overrides }, io), 1);
    assert.match(
      err.join(''),
      /--set performance\.batch_size \(performance\.batch_size\): must be an integer >= 1 \(got 0\)/,
    );
  });
});
