/**
 * The Unix-socket listener, created owner-only from its first instant (ARCHITECTURE.md §2,
 * RELIABILITY.md A5).
 *
 * Node binds a Unix socket synchronously inside `server.listen()`, so the process umask is set
 * just around that call: the socket file never exists with wider bits than the owner's part of
 * `socket_mode`. Group or other bits the config asks for are added afterwards (widening is safe;
 * narrowing after listen would leave a window, so it never happens). A path already in use is
 * replaced only when it is a socket nobody listens on.
 */
import { lstat, unlink, chmod } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { MyceliumError } from '../errors.ts';

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with the terminating NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;
/** How long probing an existing socket file for a live listener may take. */
const PROBE_TIMEOUT_MS = 1000;

/** What `listenUnix` bound: the path and the inode, so shutdown removes only our own file. */
export interface UnixListenResult {
  readonly path: string;
  readonly ino: number;
}

/** Parses a `socket_mode` string of octal digits ("0600", "660") into a mode number. */
export function parseSocketMode(mode: string | number): number {
  if (typeof mode === 'number') return mode & 0o777;
  if (!/^[0-7]{3,4}$/.test(mode)) {
    throw new MyceliumError('LISTEN_FAILED', `socket_mode "${mode}" is not 3 or 4 octal digits like "0600"`);
  }
  return Number.parseInt(mode, 8) & 0o777;
}

/**
 * Listens on `path` with file mode `mode`. Refuses (LISTEN_FAILED) a path that is too long, a
 * live socket, a symlink, a regular file or a directory; replaces a stale socket.
 */
export async function listenUnix(server: Server, path: string, mode: number): Promise<UnixListenResult> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new MyceliumError(
      'LISTEN_FAILED',
      `socket_path is ${Buffer.byteLength(path)} bytes; Unix socket paths may be at most ${MAX_SOCKET_PATH_BYTES} bytes: ${path}`,
    );
  }
  await clearStalePath(path);
  const listening = waitListening(server, path);
  bindOwnerOnly(server, path, mode);
  await listening;
  try {
    // Widen only: group/other bits the config asks for. Owner bits were set by the umask.
    if ((mode & 0o077) !== 0) await chmod(path, mode);
    const st = await lstat(path);
    return { path, ino: st.ino };
  } catch (err) {
    server.close();
    throw new MyceliumError('LISTEN_FAILED', `could not set mode ${mode.toString(8)} on ${path}`, {
      cause: err,
    });
  }
}

/** Removes the socket file at `path` if it is still the one we created. */
export async function removeSocketFile(bound: UnixListenResult): Promise<void> {
  try {
    const st = await lstat(bound.path);
    if (st.isSocket() && st.ino === bound.ino) await unlink(bound.path);
  } catch {
    // Already gone (the listener's close unlinks it): nothing to do.
  }
}

function bindOwnerOnly(server: Server, path: string, mode: number): void {
  const mask = 0o777 & ~(mode & 0o700);
  let previous: number;
  try {
    previous = process.umask(mask);
  } catch (err) {
    throw new MyceliumError('LISTEN_FAILED', 'the Unix socket must be created on the main thread (umask)', {
      cause: err,
    });
  }
  try {
    server.listen(path);
  } finally {
    process.umask(previous);
  }
}

function waitListening(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(
        new MyceliumError('LISTEN_FAILED', `cannot listen on ${path}: ${err.code ?? err.message}`, {
          cause: err,
        }),
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
  });
}

async function clearStalePath(path: string): Promise<void> {
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new MyceliumError('LISTEN_FAILED', `cannot inspect socket_path ${path}`, { cause: err });
  }
  if (st.isSymbolicLink()) {
    throw new MyceliumError(
      'LISTEN_FAILED',
      `socket_path ${path} is a symbolic link; refusing to use or remove it`,
    );
  }
  if (!st.isSocket()) {
    const kind = st.isDirectory() ? 'a directory' : st.isFile() ? 'a regular file' : 'not a socket';
    throw new MyceliumError(
      'LISTEN_FAILED',
      `socket_path ${path} is ${kind}; remove it or choose another socket_path`,
    );
  }
  const state = await probe(path);
  if (state === 'live') {
    throw new MyceliumError('LISTEN_FAILED', `another process is listening on ${path}`);
  }
  if (state === 'stale') {
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new MyceliumError('LISTEN_FAILED', `cannot remove stale socket ${path}`, { cause: err });
      }
    }
  }
}

/** Whether a listener answers on the socket file: 'stale' only when the kernel refuses outright. */
function probe(path: string): Promise<'live' | 'stale' | 'gone'> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('live');
    }, PROBE_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      if (err.code === 'ECONNREFUSED') resolve('stale');
      else if (err.code === 'ENOENT') resolve('gone');
      else
        reject(
          new MyceliumError('LISTEN_FAILED', `cannot probe existing socket ${path}: ${err.code}`, {
            cause: err,
          }),
        );
    });
  });
}
