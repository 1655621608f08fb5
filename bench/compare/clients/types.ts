/**
 * The client seam: each system's own Node client behind the same three calls, so the client rows
 * measure the client library plus the broker, driven the way the library's docs suggest.
 */
import type { Endpoint } from '../types.ts';

/** A connected publisher. */
export interface ClientPublisher {
  /** Publishes one message (no wait; the client may batch it). */
  publish(payload: Buffer): void;
  /** Hands what was published so far to the socket now, without waiting (latency rows). */
  send(): void;
  /** Resolves once the broker has processed every message published before the call. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** What a subscriber reports back. One object per connection, not a closure per message. */
export interface ClientSink {
  onMessage(payload: Uint8Array): void;
  /** The connection ended without us closing it (a slow-consumer policy, or a crash). */
  onClosed(reason: string): void;
  /** The broker skipped `count` messages for this subscriber (its lag policy). */
  onLagged(count: number): void;
}

/** A connected subscriber whose subscription is in place. */
export interface ClientSubscriber {
  close(): Promise<void>;
}

/** One system's client library. */
export interface ClientAdapter {
  publisher(endpoint: Endpoint, topic: string): Promise<ClientPublisher>;
  subscriber(endpoint: Endpoint, topic: string, queue: boolean, sink: ClientSink): Promise<ClientSubscriber>;
}
