/**
 * Every accepted socket reads into one shared buffer, reused read after read.
 *
 * Left to itself, Node gives each read a fresh buffer. At 1 KiB messages that is hundreds of MB
 * a second of new off-heap memory, each buffer kept alive until a GC notices it is gone, and
 * V8 answers that external-memory pressure with a full mark-compact every ~25 ms: over a quarter
 * of the broker's CPU (bench/README.md). Reading into one buffer allocates nothing per read.
 *
 * It is safe because the server handles a read completely before returning: the decoder calls
 * the handlers synchronously and copies what it must keep (a cut frame, input held while
 * paused), the broker copies what it keeps (fanout ring, queue line, unacked deliveries), a
 * held PUB is copied, and subscribers copy payloads into their write chunks. One event loop
 * runs one read callback at a time, so one buffer serves every connection.
 *
 * Node offers `onread` (a caller's buffer) for sockets it connects, not for those a server
 * accepts, so the accepted socket's handle is moved into a new Socket made with `onread`. The
 * handle is reached through `_handle`, which Node does not document; where it is missing or has
 * no `useUserBuffer` (another Node), the socket keeps Node's own reads, which are correct too:
 * only the allocation saving is lost. `sharedReads(socket)` tells which one a socket got.
 */
import { createServer, type Server, Socket, type SocketConstructorOpts } from 'node:net';

/**
 * Bytes one read takes at most. Four times Node's own 64 KiB: a busy publisher's socket usually
 * holds more than 64 KiB, and taking it in fewer reads means fewer syscalls and wakeups on both
 * sides. Measured with 1 KiB messages over the Unix socket, 1 -> 1 went 1.06-1.10 -> 1.40-1.48 M
 * msg/s and 1 -> 4 fanout 2.3-2.4 -> 2.9-3.1 M deliveries/s; 1 MiB did no better. There is one
 * buffer for the whole server, so the size costs nothing per connection.
 */
export const SHARED_READ_BYTES = 256 * 1024;

/** What a connection does with the bytes of one read; they are valid only during the call. */
export type ReadHandler = (chunk: Buffer) => void;

interface ReaderSlot {
  read: ReadHandler;
}

/** The parts of Node's socket internals used here. */
interface SocketInternals {
  _handle: { useUserBuffer?: unknown } | null;
}

const shared = Buffer.allocUnsafe(SHARED_READ_BYTES);
const adopted = new WeakMap<Socket, ReaderSlot>();

const noReader: ReadHandler = () => {};

/**
 * A listening server whose sockets arrive paused, as `adoptAccepted` needs: nothing is read into
 * Node's own buffers before the takeover.
 */
export function acceptingServer(noDelay: boolean, onSocket: (raw: Socket) => void): Server {
  return createServer({ pauseOnConnect: true, noDelay }, onSocket);
}

/**
 * Takes over a socket the server accepted (created with `pauseOnConnect`, so nothing was read
 * yet) and returns the socket to use from now on: a new one reading into the shared buffer, or
 * `raw` itself, resumed, where Node does not allow that.
 */
export function adoptAccepted(raw: Socket): Socket {
  const internals = raw as unknown as SocketInternals;
  const handle = internals._handle;
  if (handle === null || typeof handle !== 'object' || typeof handle.useUserBuffer !== 'function') {
    raw.resume();
    return raw;
  }
  // Detach the handle first, so destroying the old wrapper leaves the connection open.
  internals._handle = null;
  raw.destroy();
  const slot: ReaderSlot = { read: noReader };
  const options = {
    handle,
    readable: true,
    writable: true,
    onread: {
      buffer: shared,
      callback: (n: number): void => {
        slot.read(shared.subarray(0, n));
      },
    },
  } as SocketConstructorOpts;
  const socket = new Socket(options);
  adopted.set(socket, slot);
  return socket;
}

/** Sends a socket's reads to `handler`: through the shared buffer if adopted, else as 'data' events. */
export function onReads(socket: Socket, handler: ReadHandler): void {
  const slot = adopted.get(socket);
  if (slot === undefined) socket.on('data', handler);
  else slot.read = handler;
}

/** True when `socket` reads into the shared buffer. */
export function sharedReads(socket: Socket): boolean {
  return adopted.has(socket);
}
