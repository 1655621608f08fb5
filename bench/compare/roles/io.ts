/**
 * What every load-generator process needs: talking to the parent over IPC, opening a socket to
 * an endpoint, and a raw-protocol connection that counts what it receives.
 */
import { connect, type Socket } from 'node:net';
import type { Endpoint, ParentCommand, WorkerMessage } from '../types.ts';
import type { Wire, WireHandler, WireReader } from '../wire/types.ts';

/** Monotonic time in ns (CLOCK_MONOTONIC: comparable between processes on this machine). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** Sends one message to the parent. */
export function report(message: WorkerMessage): void {
  process.send?.(message);
}

/** Calls `handler` for each command from the parent; exits when the parent goes away. */
export function onCommand(handler: (command: ParentCommand) => void): void {
  process.on('message', (m) => handler(m as ParentCommand));
  process.on('disconnect', () => process.exit(0));
}

/**
 * Every socket of a load generator reads into this one buffer (`net.connect`'s `onread`), so
 * reading allocates nothing. With a fresh buffer per read, a subscriber process taking 1-2 GB/s
 * spent much of its CPU in its own GC, and how much varied from run to run (twice as much in some
 * runs as in others), which capped the TCP rows of every broker alike. The wire readers copy the
 * little they keep across reads (wire/types.ts).
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const readers = new WeakMap<Socket, { read: (chunk: Buffer) => void }>();

/** Sends a socket's reads to `handler` (valid only during the call: the buffer is reused). */
export function onReads(socket: Socket, handler: (chunk: Buffer) => void): void {
  const slot = readers.get(socket);
  if (slot === undefined) socket.on('data', handler);
  else slot.read = handler;
}

/** Opens a socket to `endpoint` (Nagle off on TCP: the load generators batch their own writes). */
export function openSocket(endpoint: Endpoint): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const slot = { read: (_chunk: Buffer): void => {} };
    const onread = {
      buffer: READ_BUFFER,
      callback: (n: number): boolean => {
        slot.read(READ_BUFFER.subarray(0, n));
        return true; // false would pause the socket
      },
    };
    const socket =
      endpoint.kind === 'tcp'
        ? connect({ port: endpoint.port, host: endpoint.host, onread })
        : connect({ path: endpoint.path, onread });
    readers.set(socket, slot);
    socket.once('connect', () => {
      socket.off('error', reject);
      if (endpoint.kind === 'tcp') socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Rejects after `ms` with a message naming what did not happen. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Most errors kept per connection (a broken run can produce one per message). */
const MAX_ERRORS = 5;

/**
 * One raw-protocol connection: counts messages, remembers the first and last read time, answers
 * PINGs, and resolves PING barriers. Subclasses override {@link RawConn.onMessage} to time messages.
 */
export class RawConn implements WireHandler {
  readonly socket: Socket;
  readonly reader: WireReader;
  firstNs = 0;
  lastNs = 0;
  lagged = 0;
  replies = 0;
  rejected = 0;
  closedByBroker = false;
  readonly errors: string[] = [];
  #stopping = false;
  #pongWaiters: (() => void)[] = [];

  constructor(socket: Socket, wire: Wire, capture: boolean) {
    this.socket = socket;
    this.reader = wire.createReader(this, capture);
    onReads(socket, (chunk: Buffer) => {
      const before = this.reader.messages;
      this.reader.push(chunk);
      if (this.reader.messages !== before) {
        const t = nowNs();
        if (this.firstNs === 0) this.firstNs = t;
        this.lastNs = t;
      }
    });
    socket.on('error', (e) => this.#note(`socket: ${e.message}`));
    socket.on('close', () => {
      if (!this.#stopping) this.closedByBroker = true;
      for (const waiter of this.#pongWaiters) waiter();
      this.#pongWaiters = [];
    });
  }

  /** Writes `ping` and resolves once its PONG (or the connection's end) arrives. */
  barrier(ping: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      this.#pongWaiters.push(resolve);
      this.socket.write(ping);
    });
  }

  /** Closes the connection as ours, not the broker's, doing. */
  close(): void {
    this.#stopping = true;
    this.socket.destroy();
  }

  onPong(): void {
    this.#pongWaiters.shift()?.();
  }
  onError(text: string): void {
    this.rejected++;
    this.#note(text);
  }
  onLagged(count: number): void {
    this.lagged += count;
  }
  onReply(): void {
    this.replies++;
  }
  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }
  onMessage(_payload: Buffer, _length: number): void {}

  #note(text: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(text);
  }
}
