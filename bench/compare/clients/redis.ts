/**
 * ioredis. Publishes go into an explicit pipeline (ioredis's documented way to batch commands,
 * and measured here faster than auto-pipelining); `send()` executes it, and `flush()` executes it
 * and waits for the replies (in order, so every earlier PUBLISH was answered too).
 */
import { type ChainableCommander, Redis } from 'ioredis';
import type { Endpoint } from '../types.ts';
import type { ClientAdapter, ClientPublisher, ClientSink, ClientSubscriber } from './types.ts';

function open(endpoint: Endpoint): Redis {
  const where =
    endpoint.kind === 'tcp' ? { host: endpoint.host, port: endpoint.port } : { path: endpoint.path };
  return new Redis({
    ...where,
    lazyConnect: true,
    // A benchmark reports a dropped connection; it must not hide it by reconnecting.
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
}

/** The ioredis adapter. */
export const redisClient: ClientAdapter = {
  async publisher(endpoint: Endpoint, topic: string): Promise<ClientPublisher> {
    const redis = open(endpoint);
    await redis.connect();
    const topicBytes = Buffer.from(topic);
    let batch: ChainableCommander | null = null;
    let failure: unknown = null;
    const run = async (pipeline: ChainableCommander): Promise<void> => {
      const replies = (await pipeline.exec()) ?? [];
      const refused = replies.find(([err]) => err);
      if (refused) throw refused[0];
    };
    const execute = (): Promise<void> => {
      const pipeline = batch;
      batch = null;
      return pipeline ? run(pipeline) : Promise.resolve();
    };
    return {
      publish: (payload) => {
        batch ??= redis.pipeline();
        batch.publish(topicBytes, payload);
      },
      send: () => {
        execute().catch((e: unknown) => {
          failure ??= e;
        });
      },
      flush: async () => {
        await execute();
        if (failure) throw failure;
      },
      close: async () => {
        await redis.quit();
      },
    };
  },
  async subscriber(
    endpoint: Endpoint,
    topic: string,
    _queue: boolean,
    sink: ClientSink,
  ): Promise<ClientSubscriber> {
    const redis = open(endpoint);
    let closing = false;
    redis.on('messageBuffer', (_channel: Buffer, message: Buffer) => sink.onMessage(message));
    redis.on('end', () => {
      if (!closing) sink.onClosed('connection closed');
    });
    await redis.connect();
    await redis.subscribe(topic);
    return {
      close: async () => {
        closing = true;
        redis.disconnect();
      },
    };
  },
};
