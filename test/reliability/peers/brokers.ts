/**
 * The peer brokers of RELIABILITY.md §4.9 (nats-server, redis-server) behind one small adapter, so
 * B1, S1 and P4 run the same test against them as against Mycelium. They run as child processes
 * bound to loopback only, with the limits of our own row where the peer has one (NATS
 * max_pending / write_deadline; Redis's pubsub output-buffer limit). Their figures are context,
 * not pass/fail: the runs are opt-in (MYCELIUM_PEERS=1) and recorded as `B1@nats`, `S1@redis`...
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { connect as natsConnect } from 'nats';
import { tempDir } from '../helpers/in-process.ts';
import { guard } from '../helpers/wire-client.ts';

/** True when the peer runs were asked for (`npm run test:peers`, `npm run soak`). */
export const PEERS = process.env.MYCELIUM_PEERS === '1';

export type PeerName = 'nats' | 'redis';

const BINARIES: Record<PeerName, string> = { nats: '/usr/sbin/nats-server', redis: '/usr/bin/redis-server' };

/** node:test's skip option for a peer: why it does not run, or false. */
export function skipPeer(name: PeerName): string | false {
  if (!PEERS) return 'peer baselines are opt-in: set MYCELIUM_PEERS=1 (npm run test:peers)';
  if (!existsSync(BINARIES[name]))
    return `${BINARIES[name]} is not installed (apt-get install ${name}-server)`;
  return false;
}

/** A client that subscribes and publishes through the peer's own npm client. */
export interface PeerClient {
  subscribe(topic: string, onMsg: (payload: Uint8Array) => void): Promise<void>;
  publish(topic: string, payload: Uint8Array): void;
  /** Resolves once what was published has reached the server. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface PeerBroker {
  readonly name: PeerName;
  readonly pid: number;
  readonly port: number;
  readonly proc: ChildProcess;
  client(name: string): Promise<PeerClient>;
  /** Bytes a raw socket sends to subscribe to `topic` as `name`. */
  rawSubscribe(topic: string, name: string): Buffer;
  /** Text in the server's reply once a raw subscription is in place. */
  readonly subscribedText: string;
  /** Answers the server's keep-alives on a raw subscriber (NATS PING), given what it received. */
  rawKeepAlive(socket: Socket, received: string): void;
  /** Whether the server has closed the connection named `name`, and why if it says. */
  kicked(name: string): Promise<{ kicked: boolean; reason: string }>;
  /** Valid protocol lines a fuzzer mutates. */
  readonly seeds: Buffer[];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function spawnPeer(argv: string[], readyText: string): Promise<ChildProcess> {
  const proc = spawn('/bin/sh', ['-c', 'ulimit -n 65536 2>/dev/null || true; exec "$@"', 'sh', ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return guard(
    new Promise<ChildProcess>((resolve, reject) => {
      const onData = (b: Buffer): void => {
        out += b.toString();
        if (out.includes(readyText)) resolve(proc);
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`${argv[0]} exited (${code}): ${out}`)));
    }),
    20_000,
    `${argv[0]} ready`,
  );
}

async function stopProc(proc: ChildProcess, dir: string): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
}

/** Limits matching our B1: max_pending 8 MiB, write deadline 500 ms (NATS only has both). */
const MAX_PENDING = 8 * 1024 * 1024;

export async function startNats(): Promise<PeerBroker> {
  const dir = await tempDir();
  const port = await freePort();
  const http = await freePort();
  const file = join(dir, 'nats.conf');
  writeFileSync(
    file,
    `listen: "127.0.0.1:${port}"\nhttp: "127.0.0.1:${http}"\nmax_pending: ${MAX_PENDING}\nwrite_deadline: "500ms"\nmax_connections: 65536\n`,
  );
  const proc = await spawnPeer([BINARIES.nats, '-c', file], 'Server is ready');
  return {
    name: 'nats',
    pid: proc.pid!,
    port,
    proc,
    async client(name) {
      const nc = await natsConnect({ servers: `127.0.0.1:${port}`, name, reconnect: false });
      return {
        async subscribe(topic, onMsg) {
          nc.subscribe(topic, { callback: (_err, msg) => onMsg(msg.data) });
          await nc.flush();
        },
        publish: (topic, payload) => nc.publish(topic, payload),
        flush: () => nc.flush(),
        close: () => nc.close(),
      };
    },
    rawSubscribe: (topic, name) =>
      Buffer.from(
        `CONNECT {"verbose":false,"pedantic":false,"name":"${name}"}\r\nSUB ${topic} 1\r\nPING\r\n`,
      ),
    subscribedText: 'PONG\r\n',
    rawKeepAlive(socket, received) {
      if (received.includes('PING\r\n')) socket.write('PONG\r\n');
    },
    async kicked(name) {
      const res = await fetch(`http://127.0.0.1:${http}/connz?state=closed&limit=100000`);
      const body = (await res.json()) as { connections?: { name?: string; reason?: string }[] };
      const c = body.connections?.find((x) => x.name === name);
      return { kicked: c !== undefined, reason: c?.reason ?? '' };
    },
    seeds: [
      'CONNECT {"verbose":false}\r\n',
      'PUB a 5\r\nhello\r\n',
      'HPUB a 12 17\r\nNATS/1.0\r\n\r\nhello\r\n',
      'SUB a 1\r\n',
      'SUB a q 2\r\n',
      'UNSUB 1 5\r\n',
      'PING\r\n',
      'PONG\r\n',
      'MSG a 1 5\r\nhello\r\n',
    ].map((s) => Buffer.from(s)),
    stop: () => stopProc(proc, dir),
  };
}

export async function startRedis(): Promise<PeerBroker> {
  const dir = await tempDir();
  const port = await freePort();
  const proc = await spawnPeer(
    [
      BINARIES.redis,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--maxclients',
      '20000',
      // Our B1 limit: a pubsub client over 8 MiB of output is closed at once (no soft limit).
      '--client-output-buffer-limit',
      `pubsub ${MAX_PENDING} 0 0`,
    ],
    'Ready to accept connections',
  );
  const control = new Redis({ port, host: '127.0.0.1', lazyConnect: false });
  const names = new Set<string>();
  return {
    name: 'redis',
    pid: proc.pid!,
    port,
    proc,
    async client(name) {
      const sub = new Redis({ port, host: '127.0.0.1', connectionName: name, maxRetriesPerRequest: 0 });
      const pub = new Redis({
        port,
        host: '127.0.0.1',
        connectionName: `${name}-pub`,
        maxRetriesPerRequest: 0,
      });
      for (const r of [sub, pub]) r.on('error', () => {});
      return {
        async subscribe(topic, onMsg) {
          sub.on('messageBuffer', (_ch: Buffer, msg: Buffer) => onMsg(msg));
          await sub.subscribe(topic);
        },
        publish: (topic, payload) => void pub.publish(topic, Buffer.from(payload)).catch(() => {}),
        flush: async () => {
          await pub.ping();
        },
        close: async () => {
          sub.disconnect();
          pub.disconnect();
        },
      };
    },
    rawSubscribe(topic, name) {
      names.add(name);
      return Buffer.from(`CLIENT SETNAME ${name}\r\nSUBSCRIBE ${topic}\r\n`);
    },
    subscribedText: 'subscribe\r\n',
    rawKeepAlive() {},
    async kicked(name) {
      const list = (await control.client('LIST')) as string;
      const present = list.split('\n').some((line) => line.includes(` name=${name} `));
      return { kicked: !present, reason: present ? '' : 'gone from CLIENT LIST (output buffer limit)' };
    },
    seeds: [
      '*3\r\n$7\r\nPUBLISH\r\n$1\r\na\r\n$5\r\nhello\r\n',
      '*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n',
      '*1\r\n$4\r\nPING\r\n',
      'PING\r\n',
      'PUBLISH a hello\r\n',
      '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n',
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n',
    ].map((s) => Buffer.from(s)),
    async stop() {
      control.disconnect();
      await stopProc(proc, dir);
    },
  };
}

export function startPeer(name: PeerName): Promise<PeerBroker> {
  return name === 'nats' ? startNats() : startRedis();
}

/** Opens a raw TCP socket to a peer. */
export function rawConnect(peer: PeerBroker): Promise<Socket> {
  const socket = tcpConnect({ host: '127.0.0.1', port: peer.port, noDelay: true });
  socket.on('error', () => {});
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}
