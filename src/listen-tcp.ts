/**
 * Binding a TCP listener, shared by the broker's listener and the metrics endpoint so that both
 * report the real port when the config says 0, and fail the same way (LISTEN_FAILED).
 */
import type { AddressInfo, Server } from 'node:net';
import { MyceliumError } from './errors.ts';

/** The address a TCP listener is bound to. */
export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Listens on `host:port` (0 = any free port) and resolves with the bound address. Errors are
 * LISTEN_FAILED; `purpose` ("metrics") says in the message which listener failed.
 */
export function listenTcp(server: Server, host: string, port: number, purpose?: string): Promise<TcpAddress> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const what = purpose === undefined ? '' : ` for ${purpose}`;
      reject(
        new MyceliumError(
          'LISTEN_FAILED',
          `cannot listen${what} on ${host}:${port}: ${err.code ?? err.message}`,
          {
            cause: err,
          },
        ),
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      const addr = server.address() as AddressInfo;
      resolve({ host: addr.address, port: addr.port });
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port });
  });
}
