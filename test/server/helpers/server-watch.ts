/**
 * What every test-server helper (test/server, test/metrics, test/reload) builds on a started server:
 * its listener addresses, handshaken raw clients that are destroyed at stop, and its close events.
 */
import type { ClosedConnectionInfo, MyceliumServer } from '../../../src/server/index.ts';
import { RawClient, type Target } from './raw-client.ts';

/** How a test asks for a client: the Unix socket unless `tcp`, with `token` in HELLO if given. */
export interface ClientOptions {
  tcp?: boolean;
  token?: string;
}

/** The listener addresses of `server`, as raw clients take them. */
export function targets(server: MyceliumServer): { unix: Target; tcp: Target } {
  return {
    unix: { path: server.addresses.unix },
    tcp: { host: server.addresses.tcp.host, port: server.addresses.tcp.port },
  };
}

/** Raw clients opened on one server, kept so that a test's stop can destroy them all. */
export class RawClients {
  readonly #unix: Target;
  readonly #tcp: Target;
  readonly #open: RawClient[] = [];

  constructor(server: MyceliumServer) {
    ({ unix: this.#unix, tcp: this.#tcp } = targets(server));
  }

  /** A client that completed its handshake over the Unix socket (or TCP when `tcp` is set). */
  async open(name: string, options: ClientOptions = {}): Promise<RawClient> {
    const c = await RawClient.ready(options.tcp ? this.#tcp : this.#unix, name, options.token);
    this.#open.push(c);
    return c;
  }

  destroyAll(): void {
    for (const c of this.#open) c.destroy();
  }
}

/** Every 'connection_closed' event of a server, from its start. */
export class CloseLog {
  readonly closes: ClosedConnectionInfo[] = [];
  readonly #waiters: (() => void)[] = [];

  constructor(server: MyceliumServer) {
    server.on('connection_closed', (info) => {
      this.closes.push(info);
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Waits until `count` closes (default 1) match `match`; resolves with them. */
  async where(match: (info: ClosedConnectionInfo) => boolean, count = 1): Promise<ClosedConnectionInfo[]> {
    for (;;) {
      const found = this.closes.filter(match);
      if (found.length >= count) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}
