/**
 * Mycelium's own SDK (src/client). Publishes are fire-and-forget; `flush()` resolves once the
 * batch is written to the socket (the SDK's backpressure point), and TCP carries the broker's
 * backpressure from there. Reconnect is off: a dropped connection must show in the results.
 */
import { type Client, connect } from '../../../src/client/index.ts';
import type { Endpoint } from '../types.ts';
import type { ClientAdapter, ClientPublisher, ClientSink, ClientSubscriber } from './types.ts';

function url(endpoint: Endpoint): string {
  return endpoint.kind === 'tcp' ? `tcp://${endpoint.host}:${endpoint.port}` : `unix://${endpoint.path}`;
}

function open(endpoint: Endpoint, name: string): Promise<Client> {
  return connect(url(endpoint), { name, reconnect: false });
}

/** The Mycelium SDK adapter. */
export const myceliumClient: ClientAdapter = {
  async publisher(endpoint: Endpoint, topic: string): Promise<ClientPublisher> {
    const client = await open(endpoint, 'bench-client-pub');
    let failure: unknown = null;
    client.on('error', (e) => {
      failure ??= e;
    });
    return {
      publish: (payload) => client.publish(topic, payload),
      // The SDK writes its batch by itself (end of tick, or when the batch is full).
      send: () => {},
      flush: async () => {
        await client.flush();
        if (failure) throw failure;
      },
      close: () => client.close(),
    };
  },
  async subscriber(
    endpoint: Endpoint,
    topic: string,
    _queue: boolean,
    sink: ClientSink,
  ): Promise<ClientSubscriber> {
    const client = await open(endpoint, 'bench-client-sub');
    let closing = false;
    client.on('close', (error) => {
      if (!closing) sink.onClosed(error ? error.message : 'connection closed');
    });
    client.on('lagged', (info) => sink.onLagged(info.count));
    // Queue rows subscribe to the queue topic: routing is the topic's, declared in the config.
    const sub = client.subscribe(topic, { callback: (msg) => sink.onMessage(msg.data) });
    await sub.ready;
    return {
      close: async () => {
        closing = true;
        await client.close();
      },
    };
  },
};
