/** nats.js (the `nats` package): callback subscriptions, `flush()` as the barrier. */
import { connect, type NatsConnection } from 'nats';
import { type Endpoint, QUEUE_GROUP } from '../types.ts';
import type { ClientAdapter, ClientPublisher, ClientSink, ClientSubscriber } from './types.ts';

function servers(endpoint: Endpoint): string {
  if (endpoint.kind !== 'tcp') throw new Error('nats.js connects over TCP only');
  return `${endpoint.host}:${endpoint.port}`;
}

async function open(endpoint: Endpoint, name: string): Promise<NatsConnection> {
  return connect({ servers: servers(endpoint), name, reconnect: false });
}

/** The nats.js adapter. */
export const natsClient: ClientAdapter = {
  async publisher(endpoint: Endpoint, topic: string): Promise<ClientPublisher> {
    const nc = await open(endpoint, 'bench-client-pub');
    return {
      publish: (payload) => nc.publish(topic, payload),
      // nats.js writes its outbound buffer by itself on the next turn of the event loop.
      send: () => {},
      flush: () => nc.flush(),
      close: () => nc.close(),
    };
  },
  async subscriber(
    endpoint: Endpoint,
    topic: string,
    queue: boolean,
    sink: ClientSink,
  ): Promise<ClientSubscriber> {
    const nc = await open(endpoint, 'bench-client-sub');
    let closing = false;
    nc.subscribe(topic, {
      ...(queue ? { queue: QUEUE_GROUP } : {}),
      callback: (err, msg) => {
        if (err) sink.onClosed(err.message);
        else sink.onMessage(msg.data);
      },
    });
    nc.closed().then((err) => {
      if (!closing) sink.onClosed(err ? err.message : 'connection closed');
    });
    await nc.flush();
    return {
      close: async () => {
        closing = true;
        await nc.close();
      },
    };
  },
};
