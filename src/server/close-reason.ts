/**
 * Why a connection closed, in machine-readable form (RELIABILITY.md §4.10): tests assert the
 * reason, not merely that the socket went away.
 */
import type { ErrorCode } from '../errors.ts';

/** Closes that are not an error the server reports with an ERR frame. */
export const LocalCloseReason = {
  /** The client closed its end (FIN or reset). */
  ClientClosed: 'CLIENT_CLOSED',
  /** The socket failed with an error other than a reset (see the close's `detail`). */
  SocketError: 'SOCKET_ERROR',
  /** `MyceliumServer.close()` dropped the connection without a drain. */
  ServerClosed: 'SERVER_CLOSED',
  /** A server bug surfaced while handling this connection's input (logged with its stack). */
  InternalError: 'INTERNAL_ERROR',
} as const;

/**
 * Every close reason: an error code from the catalog when the server sent an ERR before closing
 * (SLOW_CONSUMER, HANDSHAKE_TIMEOUT, HEARTBEAT_TIMEOUT, AUTH_FAILED, MAX_CONNECTIONS,
 * SHUTTING_DOWN, HANDSHAKE_REQUIRED, MALFORMED_FRAME, ...), or one of {@link LocalCloseReason}.
 */
export type CloseReason = ErrorCode | (typeof LocalCloseReason)[keyof typeof LocalCloseReason];

/** Which limit made a connection a slow consumer (the `detail` of a SLOW_CONSUMER close). */
export const SlowConsumerDetail = {
  /** Output pending (ours plus the socket's) went over max_pending_bytes. */
  PendingBytes: 'pending_bytes',
  /** Output was pending and the socket accepted nothing for write_deadline_ms. */
  WriteDeadline: 'write_deadline',
  /** A fanout topic with slow_consumer = "disconnect" evicted the subscriber. */
  TopicPolicy: 'topic_policy',
} as const;
export type SlowConsumerDetail = (typeof SlowConsumerDetail)[keyof typeof SlowConsumerDetail];
