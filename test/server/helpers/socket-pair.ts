/** A connected pair of real sockets over a Unix socket in a temp dir, for writer-level tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SocketPair {
  /** The accepted (server) end. */
  readonly server: Socket;
  /** The connecting (client) end. */
  readonly client: Socket;
  close(): Promise<void>;
}

/** Makes a temp directory for socket files; remove it with the returned function. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'myc-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function socketPair(): Promise<SocketPair> {
  const { dir, cleanup } = await tempDir();
  const path = join(dir, 'pair.sock');
  const listener = createServer();
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  await new Promise<void>((resolve) => listener.listen(path, resolve));
  const client = connect(path);
  const server = await accepted;
  await new Promise<void>((resolve) =>
    client.connecting ? client.once('connect', () => resolve()) : resolve(),
  );
  return {
    server,
    client,
    async close() {
      server.destroy();
      client.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      await cleanup();
    },
  };
}

/** Resolves once `socket` has received `bytes` bytes, with all of them. */
export function readBytes(socket: Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const onData = (chunk: Buffer): void => {
      parts.push(chunk);
      got += chunk.length;
      if (got >= bytes) {
        socket.off('data', onData);
        socket.off('error', reject);
        resolve(Buffer.concat(parts));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** Resolves after the current tick's setImmediate callbacks have run. */
export function nextTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
