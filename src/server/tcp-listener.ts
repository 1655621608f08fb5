/** The TCP listener (loopback by default; the port is the real one when the config says 0). */
import type { AddressInfo, Server } from 'node:net';
import { MyceliumError } from '../errors.ts';

/** The address the TCP listener is bound to. */
export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

/** Listens on `host:port` and resolves with the bound address. Errors are LISTEN_FAILED. */
export function listenTcp(server: Server, host: string, port: number): Promise<TcpAddress> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(
        new MyceliumError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${err.code ?? err.message}`, {
          cause: err,
        }),
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
