/** What the server tells about a connection: in the registry and in 'connection_closed' events. */
import type { Socket } from 'node:net';
import type { CloseReason } from './close-reason.ts';

/** Which listener a connection came in on. */
export type Transport = 'unix' | 'tcp';

/** A connection as the registry lists it. */
export interface ConnectionInfo {
  readonly id: number;
  readonly transport: Transport;
  /** `host:port` for TCP, `unix` for the Unix socket. */
  readonly remote: string;
  /** The name the client gave in HELLO ('' before the handshake). */
  readonly clientName: string;
  /** True once the handshake completed (and still after the connection closed). */
  readonly established: boolean;
  /** Live subscriptions. */
  readonly subscriptions: number;
  /** Output not yet written to the kernel, in bytes. */
  readonly pendingBytes: number;
  /** Times reading this connection was paused for a backed-up subscriber (publisher_stall_ms). */
  readonly publisherPauses: number;
}

/** A connection that has closed, with why (the payload of the 'connection_closed' event). */
export interface ClosedConnectionInfo extends ConnectionInfo {
  readonly reason: CloseReason;
  /** More about the reason: which slow-consumer limit, or the socket error code. */
  readonly detail: string | undefined;
}

/** The `remote` of a connection on `socket`: `host:port` for TCP, `unix` for the Unix socket. */
export function remoteOf(socket: Socket, transport: Transport): string {
  return transport === 'tcp' ? `${socket.remoteAddress}:${socket.remotePort}` : 'unix';
}

/** The 'connection_closed' payload of a connection refused at accept (never served). */
export function refusedInfo(
  id: number,
  transport: Transport,
  remote: string,
  reason: CloseReason,
): ClosedConnectionInfo {
  return {
    id,
    transport,
    remote,
    clientName: '',
    established: false,
    subscriptions: 0,
    pendingBytes: 0,
    publisherPauses: 0,
    reason,
    detail: undefined,
  };
}
