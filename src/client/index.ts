/**
 * The Mycelium client SDK (the package's main entry, `import { connect } from 'mycelium'`).
 *
 * ```ts
 * const client = await connect('unix:///tmp/mycelium.sock');
 * client.publish('orders', 'hello');
 * const seq = await client.publish('orders', 'hello', { confirm: true });
 * for await (const msg of client.subscribe('orders')) console.log(msg.seq, msg.data);
 * ```
 */
import { Client } from './client.ts';
import { type ConnectOptions, resolveOptions } from './options.ts';
import { socketTransport } from './transport.ts';
import { DEFAULT_URL, parseUrl } from './url.ts';

export { ConfigError, MyceliumError, ProtocolError, ServerError } from '../errors.ts';
export type { ErrorCode } from '../errors.ts';
export type { Client, ClientEvents, ClientLaggedInfo, ClientStats, PublishOptions } from './client.ts';
export type { ServerInfo } from './connection.ts';
export type { Message } from './message.ts';
export type { ConnectOptions } from './options.ts';
export type {
  LaggedInfo,
  StartPosition,
  SubscribeOptions,
  Subscription,
  SubscriptionEvents,
} from './subscription.ts';
export type { Transport, TransportEvents, TransportFactory } from './transport.ts';
export type { Address } from './url.ts';
export { DEFAULT_URL, formatAddress, parseUrl } from './url.ts';

/**
 * Connects to a server and completes the handshake.
 * @param url `unix:///path/to.sock` or `tcp://host:port` (default `unix:///tmp/mycelium.sock`)
 * @returns a client that reconnects by itself after a loss (unless `reconnect: false`)
 * @throws (rejects) MyceliumError INVALID_URL or INVALID_ARGUMENT; ServerError from the handshake
 *   (AUTH_FAILED, MAX_CONNECTIONS, ...); MyceliumError TIMEOUT or CONNECTION_CLOSED when the
 *   first connection fails (it is not retried)
 */
export async function connect(url: string = DEFAULT_URL, options: ConnectOptions = {}): Promise<Client> {
  const address = parseUrl(url);
  const client = new Client(address, resolveOptions(options), options.transport ?? socketTransport);
  await client.start();
  return client;
}
