/** The live connections of a server: what `MyceliumServer.connections` shows and the sweep visits. */
import type { Connection } from './connection.ts';
import type { ConnectionInfo } from './connection-info.ts';

/** A read-only view of the server's connections. */
export interface ConnectionRegistryView {
  /** Connections counted against max_connections (handshaking or established). */
  readonly count: number;
  /** A snapshot of every live connection. */
  list(): ConnectionInfo[];
  /** A snapshot of one connection, or undefined when it is not live. */
  get(id: number): ConnectionInfo | undefined;
  /** The subscriptions of one live connection (sid and topic), or undefined when it is not live. */
  subscriptions(id: number): { sid: number; topic: string }[] | undefined;
}

/** Connections by id, in accept order. */
export class ConnectionRegistry implements ConnectionRegistryView {
  readonly #byId = new Map<number, Connection>();

  get count(): number {
    return this.#byId.size;
  }

  list(): ConnectionInfo[] {
    return [...this.#byId.values()].map((c) => c.info());
  }

  get(id: number): ConnectionInfo | undefined {
    return this.#byId.get(id)?.info();
  }

  subscriptions(id: number): { sid: number; topic: string }[] | undefined {
    const conn = this.#byId.get(id);
    if (conn === undefined) return undefined;
    return [...conn.subs.values()].map((s) => ({ sid: s.sid, topic: s.topic }));
  }

  add(conn: Connection): void {
    this.#byId.set(conn.id, conn);
  }

  remove(conn: Connection): void {
    this.#byId.delete(conn.id);
  }

  /** The live connections themselves (for the sweep and shutdown; may be changed while iterating). */
  values(): IterableIterator<Connection> {
    return this.#byId.values();
  }
}
