import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type RealServer, startRealServer } from './helpers/real-server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mycelium ARGS` from the sources, as `node --import tsx src/cli/main.ts ARGS`. */
function mycelium(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, MYCELIUM_URL: '', MYCELIUM_TOKEN: '', ...options.env };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

describe('mycelium pub / sub / bench', () => {
  let rs: RealServer;
  let dir: string;
  before(async () => {
    rs = await startRealServer();
    dir = mkdtempSync(join(tmpdir(), 'myc-cli-'));
  });
  after(async () => {
    await rs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pub --confirm then sub --from-seq --count prints what was published, seq and text', async () => {
    const pub = await mycelium(['pub', 'events', 'hello cli', '--count', '2', '--confirm', '-u', rs.unixUrl]);
    assert.equal(pub.code, 0, pub.stderr);
    const seqs = /published 2 messages \(18 bytes\) to events .* confirmed seqs (\d+)\.\.(\d+)/.exec(
      pub.stdout,
    );
    assert.ok(seqs, pub.stdout);
    const [first, last] = [Number(seqs[1]), Number(seqs[2])];
    const sub = await mycelium([
      'sub',
      'events',
      '--from-seq',
      String(first),
      '--count',
      '2',
      '--url',
      rs.unixUrl,
    ]);
    assert.equal(sub.code, 0, sub.stderr);
    assert.equal(sub.stdout, `#${first} hello cli\n#${last} hello cli\n`);
  });

  it('pub reads one message per stdin line, and MYCELIUM_URL picks the server (over TCP here)', async () => {
    const env = { MYCELIUM_URL: rs.tcpUrl };
    const pub = await mycelium(['pub', 'events', '--confirm'], { input: 'one\ntwo\nthree\n', env });
    assert.equal(pub.code, 0, pub.stderr);
    assert.match(pub.stdout, /published 3 messages \(11 bytes\)/);
    const sub = await mycelium(['sub', 'events', '--last', '3', '--count', '3'], { env });
    assert.deepEqual(
      sub.stdout.split('\n').map((line) => line.replace(/^#\d+ /, '')),
      ['one', 'two', 'three', ''],
    );
  });

  it('sub --raw writes the payload bytes only', async () => {
    const pub = await mycelium(['pub', 'events', 'raw-bytes', '--confirm', '-u', rs.unixUrl]);
    const seq = /confirmed seqs (\d+)/.exec(pub.stdout)![1]!;
    const sub = await mycelium([
      'sub',
      'events',
      '--from-seq',
      seq,
      '--count',
      '1',
      '--raw',
      '-u',
      rs.unixUrl,
    ]);
    assert.equal(sub.stdout, 'raw-bytes');
  });

  it('sub --ack acknowledges queue deliveries so they are not redelivered', async () => {
    await mycelium(['pub', 'jobs', 'ack me', '--confirm', '-u', rs.unixUrl]);
    const first = await mycelium(['sub', 'jobs', '--count', '1', '--ack', '-u', rs.unixUrl]);
    assert.match(first.stdout, /^#\d+ ack me\n$/);
    await mycelium(['pub', 'jobs', 'next one', '--confirm', '-u', rs.unixUrl]);
    const second = await mycelium(['sub', 'jobs', '--count', '1', '--ack', '-u', rs.unixUrl]);
    assert.match(second.stdout, /^#\d+ next one\n$/, 'the acked message did not come back');
  });

  it('a missing topic makes pub (confirmed or not) and sub exit 1 naming TOPIC_NOT_FOUND, with no summary', async () => {
    const confirmed = await mycelium(['pub', 'nope', 'x', '--confirm', '-u', rs.unixUrl]);
    const fireAndForget = await mycelium(['pub', 'nope', 'x', '-u', rs.unixUrl]);
    const sub = await mycelium(['sub', 'nope', '-u', rs.unixUrl]);
    for (const run of [confirmed, fireAndForget, sub]) {
      assert.equal(run.code, 1);
      assert.match(run.stderr, /TOPIC_NOT_FOUND/);
      assert.equal(run.stdout, '');
    }
  });

  it('bad arguments are refused with a usage error: a bad URL, a bad count, MSG with --size', async () => {
    const table: Array<[string[], RegExp]> = [
      [['pub', 'events', 'x', '-u', 'http://nowhere:1'], /INVALID_URL/],
      [['pub', 'events', 'x', '--count', '0'], /--count/],
      [['sub', 'events', '--from-seq', '1', '--last', '2'], /cannot be used with/],
      [['pub', 'events', 'x', '--size', '8'], /either MSG or --size/],
    ];
    for (const [args, why] of table) {
      const run = await mycelium(args);
      assert.notEqual(run.code, 0, args.join(' '));
      assert.match(run.stderr, why, args.join(' '));
    }
  });

  it('every command has --help', async () => {
    for (const command of ['pub', 'sub', 'bench']) {
      const run = await mycelium([command, '--help']);
      assert.equal(run.code, 0);
      assert.match(run.stdout, new RegExp(`Usage: mycelium ${command}`));
      assert.match(run.stdout, /--url/);
    }
  });

  it('bench on a missing topic exits 1 with a hint on declaring it', async () => {
    const run = await mycelium(['bench', '--topic', 'absent', '-u', rs.unixUrl]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /topic "absent" does not exist/);
    assert.match(run.stderr, /\[\[topics\]\]\n {2}name = "absent"/);
  });

  it('bench with a child-process subscriber prints the table and writes JSON where every message arrived', async () => {
    const file = join(dir, 'bench.json');
    const run = await mycelium([
      'bench',
      '--topic',
      'events',
      '-n',
      '3000',
      '-s',
      '32',
      '--json',
      file,
      '-u',
      rs.unixUrl,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\| published {2}\| +3000 \|/);
    assert.match(run.stdout, /latency publish -> delivery \(µs\): p50 \d+ {2}p99 \d+ {2}p99\.9 \d+/);
    const result = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(result.delivered.count, 3000);
    assert.equal(result.lost, 0);
    assert.equal(typeof result.latencyUs.p99, 'number');
  });

  it('bench --queue --in-process shares the messages among the subscribers', async () => {
    const file = join(dir, 'queue.json');
    const args = [
      'bench',
      '--queue',
      '--topic',
      'work',
      '-n',
      '2000',
      '-k',
      '2',
      '--in-process',
      '--json',
      file,
    ];
    const run = await mycelium([...args, '-u', rs.unixUrl]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(result.routing, 'Queue');
    assert.equal(result.delivered.count, 2000);
  });
});
