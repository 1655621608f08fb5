/**
 * An in-process TCP fault proxy (RELIABILITY.md §4.8 C2), toxiproxy's toxics without its daemon:
 * latency, a bandwidth limit, a slicer that re-chunks writes into 1-10 byte pieces, reset_peer and
 * blackhole. Toxics apply per direction: `up` is client -> server, `down` is server -> client.
 *
 * The proxy keeps backpressure end to end: each direction holds at most HIGH_WATER bytes before it
 * stops reading its source, so a bandwidth-limited reader looks slow to the server (the proxy never
 * absorbs what the reader has not taken) and a server that stops reading a publisher shows up as a
 * backlog at the proxy.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import type { Target } from './wire-client.ts';

/** Which way bytes go: `up` client -> server, `down` server -> client. */
export type Direction = 'up' | 'down';

/** A fault, as toxiproxy names them. */
export type Toxic =
  /** Every chunk is forwarded `ms` after it arrived (order kept). */
  | { readonly kind: 'latency'; readonly ms: number }
  /** At most `bytesPerSecond` are forwarded each second. */
  | { readonly kind: 'bandwidth'; readonly bytesPerSecond: number }
  /** Every chunk is written as pieces of min..max bytes (default 1..10), one per event-loop turn. */
  | { readonly kind: 'slicer'; readonly min?: number; readonly max?: number }
  /** The connections are reset (RST to both ends) `afterMs` after the toxic is added or they open. */
  | { readonly kind: 'reset_peer'; readonly afterMs?: number }
  /** Bytes are dropped; the connection stays open (a half-dead peer). */
  | { readonly kind: 'blackhole' };

/** Bytes a direction buffers before it stops reading its source. */
export const HIGH_WATER = 64 * 1024;
/** A bandwidth-limited direction forwards in this many steps per second, so the rate is smooth. */
const STEPS_PER_SECOND = 50;

/** What the proxy has done so far (both directions added up unless named). */
export interface ProxyStats {
  connections: number;
  /** Bytes handed to the destination socket, by direction. */
  forwarded: Record<Direction, number>;
  /** Bytes a blackhole dropped, by direction. */
  dropped: Record<Direction, number>;
  /** Socket writes made and the largest one (the slicer's pieces show here). */
  writes: number;
  largestWrite: number;
  /** The most bytes a direction of one connection held at once. */
  maxBuffered: number;
  /** Connections ended by reset_peer. */
  resets: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** One direction of one connection: a queue of chunks forwarded through the active toxics. */
class Pipe {
  readonly #queue: { chunk: Buffer; at: number }[] = [];
  #buffered = 0;
  #busy = false;
  #ended = false;
  /** When the bandwidth toxic lets the next byte go (performance.now()). */
  #nextFree = 0;

  constructor(
    readonly proxy: FaultProxy,
    readonly dir: Direction,
    readonly src: Socket,
    readonly dst: Socket,
  ) {
    src.on('data', (chunk: Buffer) => {
      this.#queue.push({ chunk, at: performance.now() });
      this.#buffered += chunk.length;
      const s = proxy.stats;
      s.maxBuffered = Math.max(s.maxBuffered, this.#buffered);
      if (this.#buffered >= HIGH_WATER) src.pause();
      void this.#pump();
    });
    src.on('end', () => {
      this.#ended = true;
      void this.#pump();
    });
  }

  /** Bytes this direction holds: its queue plus what the destination socket has not taken. */
  get backlog(): number {
    return this.#buffered + this.dst.writableLength;
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    while (this.#queue.length > 0 && !this.dst.destroyed) {
      const { chunk, at } = this.#queue[0]!;
      await this.#forward(chunk, at);
      this.#queue.shift();
      this.#buffered -= chunk.length;
      if (this.#buffered < HIGH_WATER / 2 && !this.src.destroyed) this.src.resume();
    }
    this.#busy = false;
    if (this.#ended && this.#queue.length === 0 && !this.dst.destroyed) this.dst.end();
  }

  async #forward(chunk: Buffer, at: number): Promise<void> {
    const toxics = this.proxy.toxicsFor(this.dir);
    if (toxics.some((t) => t.kind === 'blackhole')) {
      this.proxy.stats.dropped[this.dir] += chunk.length;
      return;
    }
    let latency = 0;
    let rate = 0;
    let slicer: { min: number; max: number } | undefined;
    for (const t of toxics) {
      if (t.kind === 'latency') latency += t.ms;
      else if (t.kind === 'bandwidth')
        rate = rate === 0 ? t.bytesPerSecond : Math.min(rate, t.bytesPerSecond);
      else if (t.kind === 'slicer') slicer = { min: t.min ?? 1, max: t.max ?? 10 };
    }
    const due = at + latency - performance.now();
    if (due > 0) await sleep(due);
    const step =
      slicer === undefined ? (rate === 0 ? chunk.length : Math.max(1, rate / STEPS_PER_SECOND)) : 0;
    let offset = 0;
    while (offset < chunk.length && !this.dst.destroyed) {
      const size =
        slicer === undefined
          ? step
          : slicer.min + Math.floor(this.proxy.random() * (slicer.max - slicer.min + 1));
      const piece = chunk.subarray(offset, Math.min(chunk.length, offset + size));
      offset += piece.length;
      if (rate > 0) {
        const now = performance.now();
        if (this.#nextFree > now) await sleep(this.#nextFree - now);
        this.#nextFree = Math.max(now, this.#nextFree) + (piece.length * 1000) / rate;
      }
      this.#write(piece);
      // One piece per event-loop turn, so the reader gets the chance to read each on its own.
      if (slicer !== undefined) await nextTurn();
      if (this.dst.writableLength > HIGH_WATER) await this.#drained();
    }
  }

  #write(piece: Buffer): void {
    const s = this.proxy.stats;
    s.forwarded[this.dir] += piece.length;
    s.writes++;
    s.largestWrite = Math.max(s.largestWrite, piece.length);
    this.dst.write(piece);
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.dst.off('drain', done);
        this.dst.off('close', done);
        resolve();
      };
      this.dst.on('drain', done);
      this.dst.on('close', done);
    });
  }
}

/** One proxied connection: the client's socket, the server's, and a pipe each way. */
export class ProxyConnection {
  readonly up: Pipe;
  readonly down: Pipe;
  #resetTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly proxy: FaultProxy,
    readonly client: Socket,
    readonly server: Socket,
  ) {
    this.up = new Pipe(proxy, 'up', client, server);
    this.down = new Pipe(proxy, 'down', server, client);
    const closeBoth = (): void => {
      clearTimeout(this.#resetTimer);
      client.destroy();
      server.destroy();
    };
    // Either end failing ends the other at once; a clean end is passed on by the pipe after it
    // has forwarded what it holds.
    client.on('error', closeBoth);
    server.on('error', closeBoth);
    client.on('close', () => {
      if (!client.readableEnded) closeBoth();
    });
    server.on('close', () => {
      if (!server.readableEnded) closeBoth();
    });
  }

  /** Resets both ends (TCP RST) after `ms`. */
  resetAfter(ms: number): void {
    if (this.#resetTimer !== undefined) return;
    this.#resetTimer = setTimeout(() => this.reset(), ms);
  }

  /** Resets both ends now (TCP RST, so each side sees ECONNRESET). */
  reset(): void {
    if (this.client.destroyed && this.server.destroyed) return;
    this.proxy.stats.resets++;
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (!this.server.destroyed) this.server.resetAndDestroy();
  }

  get closed(): boolean {
    return this.client.destroyed && this.server.destroyed;
  }
}

/** A listening proxy in front of one TCP target. */
export class FaultProxy {
  readonly stats: ProxyStats = {
    connections: 0,
    forwarded: { up: 0, down: 0 },
    dropped: { up: 0, down: 0 },
    writes: 0,
    largestWrite: 0,
    maxBuffered: 0,
    resets: 0,
  };
  readonly connections = new Set<ProxyConnection>();
  /** Random source of the slicer's piece sizes (seeded by the tests). */
  random: () => number = Math.random;
  readonly #toxics = new Map<string, { dir: Direction; toxic: Toxic }>();
  readonly #server: Server;
  readonly #upstream: { host: string; port: number };
  #target: Target | undefined;

  private constructor(upstream: { host: string; port: number }) {
    this.#upstream = upstream;
    this.#server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => this.#accept(client));
  }

  /** Starts a proxy on 127.0.0.1, an ephemeral port, in front of `upstream`. */
  static async start(upstream: { host: string; port: number }): Promise<FaultProxy> {
    const proxy = new FaultProxy(upstream);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = proxy.#server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy: no TCP address');
    proxy.#target = { host: '127.0.0.1', port: address.port };
    return proxy;
  }

  /** Where clients connect to go through the proxy. */
  get target(): Target {
    return this.#target!;
  }

  /** Adds (or replaces) toxic `name` on direction `dir`; reset_peer starts counting at once. */
  add(name: string, dir: Direction, toxic: Toxic): void {
    this.#toxics.set(name, { dir, toxic });
    if (toxic.kind === 'reset_peer') {
      for (const c of this.connections) c.resetAfter(toxic.afterMs ?? 0);
    }
  }

  /** Removes toxic `name` (connections already reset stay closed). */
  remove(name: string): void {
    this.#toxics.delete(name);
  }

  /** The toxics active on `dir`, in the order they were added. */
  toxicsFor(dir: Direction): Toxic[] {
    const out: Toxic[] = [];
    for (const { dir: d, toxic } of this.#toxics.values()) if (d === dir) out.push(toxic);
    return out;
  }

  /** Bytes held on `dir` across open connections (queued in the proxy or in its sockets). */
  backlog(dir: Direction): number {
    let n = 0;
    for (const c of this.connections) if (!c.closed) n += (dir === 'up' ? c.up : c.down).backlog;
    return n;
  }

  /**
   * Bytes on `dir` the destination's kernel has taken: forwarded minus what the proxy's sockets
   * still hold. It stops growing once a server stops reading and the socket buffers are full.
   */
  taken(dir: Direction): number {
    let unsent = 0;
    for (const c of this.connections) unsent += (dir === 'up' ? c.server : c.client).writableLength;
    return this.stats.forwarded[dir] - unsent;
  }

  #accept(client: Socket): void {
    this.stats.connections++;
    client.pause();
    const server = tcpConnect({
      host: this.#upstream.host,
      port: this.#upstream.port,
      noDelay: true,
      allowHalfOpen: true,
    });
    const conn = new ProxyConnection(this, client, server);
    this.connections.add(conn);
    const forget = (): void => {
      if (conn.closed) this.connections.delete(conn);
    };
    client.on('close', forget);
    server.on('close', forget);
    server.once('connect', () => client.resume());
    for (const { toxic } of this.#toxics.values()) {
      if (toxic.kind === 'reset_peer') conn.resetAfter(toxic.afterMs ?? 0);
    }
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const c of this.connections) {
      c.client.destroy();
      c.server.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
