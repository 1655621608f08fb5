/**
 * A loopback TCP proxy in front of a server's Unix socket, so a test can cut a client's
 * connection (both directions at once) without touching the server.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class CuttableProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  /** Connections accepted and forwarded so far. */
  accepted = 0;
  /** While true, new connections are closed at once (the server looks unreachable). */
  refusing = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(targetPath: string): Promise<CuttableProxy> {
    const server = createServer();
    const proxy = new CuttableProxy(server);
    server.on('connection', (down) => {
      if (proxy.refusing) {
        down.destroy();
        return;
      }
      proxy.accepted++;
      const up = connect({ path: targetPath });
      const pair: [Socket, Socket] = [down, up];
      proxy.#pairs.add(pair);
      const drop = () => {
        down.destroy();
        up.destroy();
        proxy.#pairs.delete(pair);
      };
      for (const s of pair) {
        s.on('error', drop);
        s.on('close', drop);
      }
      down.pipe(up);
      up.pipe(down);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return `tcp://127.0.0.1:${address.port}`;
  }

  /** Destroys every proxied connection, as a network failure would. */
  cut(): void {
    for (const [down, up] of this.#pairs) {
      down.destroy();
      up.destroy();
    }
    this.#pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
