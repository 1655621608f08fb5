import { type Socket, connect as netConnect } from 'node:net';
import type { Address } from './url.ts';

/** What a transport reports to the connection that owns it. */
export interface TransportEvents {
  /** The byte stream is open. */
  onOpen(): void;
  /** Bytes arrived; the chunk is the transport's and may be kept (it is not reused). */
  onData(chunk: Buffer): void;
  /** A write that returned false has been drained; writing may resume. */
  onDrain(): void;
  /** The stream closed, for whatever reason; called exactly once. */
  onClose(error: Error | undefined): void;
}

/**
 * A byte stream to the server. The SDK speaks only to this interface (as nats.js does), so tests
 * and other environments can plug in their own stream.
 */
export interface Transport {
  /**
   * Hands bytes to the stream; they must not be modified afterwards. Several chunks go out in one
   * system call. Returns false when the stream's buffer is full: wait for `onDrain`.
   * @param done called once the bytes have been written (or the stream failed)
   */
  write(chunks: readonly Uint8Array[], done?: () => void): boolean;
  /** Sends what is buffered, then closes the stream. */
  end(): void;
  /** Closes the stream at once, dropping what is buffered. */
  destroy(): void;
}

/** Opens a transport to an address; the factory `connect()` uses unless told otherwise. */
export type TransportFactory = (address: Address, events: TransportEvents) => Transport;

/** A Unix-socket or TCP transport over `node:net`. */
export const socketTransport: TransportFactory = (address, events) => new SocketTransport(address, events);

class SocketTransport implements Transport {
  readonly #socket: Socket;
  #error: Error | undefined;

  constructor(address: Address, events: TransportEvents) {
    const socket =
      address.kind === 'unix'
        ? netConnect({ path: address.path })
        : netConnect({ host: address.host, port: address.port, noDelay: true });
    this.#socket = socket;
    socket.on('connect', () => events.onOpen());
    socket.on('data', (chunk: Buffer) => events.onData(chunk));
    socket.on('drain', () => events.onDrain());
    socket.on('error', (err) => {
      this.#error ??= err;
    });
    socket.on('close', () => events.onClose(this.#error));
  }

  write(chunks: readonly Uint8Array[], done?: () => void): boolean {
    const socket = this.#socket;
    if (socket.destroyed) {
      done?.();
      return false;
    }
    const last = chunks.length - 1;
    if (last < 0) {
      done?.();
      return true;
    }
    if (last === 0) return socket.write(chunks[0]!, done);
    // cork/uncork turns the writes into one writev system call.
    socket.cork();
    let ok = true;
    for (let i = 0; i <= last; i++) ok = socket.write(chunks[i]!, i === last ? done : undefined);
    socket.uncork();
    return ok;
  }

  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }
}
