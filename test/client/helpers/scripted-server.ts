/**
 * A server that speaks the wire protocol by script, for client tests that need exact control:
 * each accepted connection records the client's frames as plain objects, and the test sends
 * frames back with the protocol's encoders, transcript style.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeWelcome,
  type Frame,
  FrameCollector,
  FrameDecoder,
  Side,
} from '../../../src/protocol/index.ts';

/** One client connection as the script sees it. */
export class Peer {
  readonly socket: Socket;
  readonly #collector = new FrameCollector();
  readonly #decoder: FrameDecoder;
  #taken = 0;
  #wake: (() => void) | null = null;
  readonly closed: Promise<void>;

  constructor(socket: Socket) {
    this.socket = socket;
    this.#decoder = new FrameDecoder(this.#collector, { side: Side.Server, maxFrameSize: 64 * 1024 * 1024 });
    socket.on('data', (chunk) => {
      this.#decoder.push(chunk);
      this.#wake?.();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  /** The next frame the client sent (frames are taken in order). */
  async next(): Promise<Frame> {
    for (;;) {
      const frames = this.#collector.frames;
      if (frames.length > this.#taken) return frames[this.#taken++]!;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Skips frames until one with this op; returns it. */
  async expect<K extends Frame['op']>(op: K): Promise<Extract<Frame, { op: K }>> {
    for (;;) {
      const frame = await this.next();
      if (frame.op === op) return frame as Extract<Frame, { op: K }>;
    }
  }

  /** Every frame received so far, taken or not. */
  get frames(): Frame[] {
    return this.#collector.frames;
  }

  send(...frames: Buffer[]): void {
    for (const f of frames) this.socket.write(f);
  }

  /** Reads HELLO and answers WELCOME. */
  async welcome(maxFrameSize = 8 * 1024 * 1024, heartbeatMs = 60_000): Promise<void> {
    await this.expect('HELLO');
    this.send(encodeWelcome(maxFrameSize, heartbeatMs, 'scripted'));
  }
}

/** A Unix-socket listener handing each connection to the test as a {@link Peer}. */
export class ScriptedServer {
  readonly url: string;
  readonly peers: Peer[] = [];
  readonly #server: Server;
  readonly #dir: string;
  #waiting: Array<(p: Peer) => void> = [];
  #taken = 0;

  private constructor(server: Server, dir: string, path: string) {
    this.#server = server;
    this.#dir = dir;
    this.url = `unix://${path}`;
    server.on('connection', (socket) => {
      const peer = new Peer(socket);
      this.peers.push(peer);
      this.#waiting.shift()?.(peer);
    });
  }

  static async start(): Promise<ScriptedServer> {
    const dir = mkdtempSync(join(tmpdir(), 'myc-client-'));
    const path = join(dir, 's.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return new ScriptedServer(server, dir, path);
  }

  /** The next connection not yet taken by the test. */
  async accept(): Promise<Peer> {
    const ready = this.peers[this.#taken];
    if (ready !== undefined) {
      this.#taken++;
      return ready;
    }
    const peer = await new Promise<Peer>((resolve) => this.#waiting.push(resolve));
    this.#taken++;
    return peer;
  }

  async close(): Promise<void> {
    for (const p of this.peers) p.socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
