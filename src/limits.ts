/**
 * Limits every layer agrees on: the config validates against them, the broker checks them again
 * for topics created at run time, and the protocol sizes its frames by them. Layer-specific limits
 * live in each layer's own `limits.ts`; these are the ones that must never differ between layers.
 */

/** Topic names travel with a one-byte length in PUB and SUB frames; 128 leaves room to grow. */
export const MAX_TOPIC_NAME_LENGTH = 128;
/** Hard cap on a payload: larger messages belong in a blob store, with a reference sent here. */
export const MAX_MESSAGE_SIZE_LIMIT = 64 * 1024 * 1024;
/** 2^24 slots: the ring's slot array stays under ~128 MiB of references even when full. */
export const MAX_BUFFER_SIZE = 16_777_216;
/** More in flight per consumer than fits the ACK frame's u16 budget defeats the point of a cap. */
export const MAX_PREFETCH = 65_535;
/** Recent messages a fanout topic keeps (lag bound) or a queue topic holds waiting. */
export const DEFAULT_BUFFER_SIZE = 10_000;
/** 1 MiB covers typical events and documents; larger payloads must opt in per topic. */
export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
/** RabbitMQ-like: enough to keep a consumer busy, few enough to redeliver when it dies. */
export const DEFAULT_PREFETCH = 64;
/**
 * Deliveries of one queue message before it is dropped as poison: the MSG frame carries the
 * delivery count as a u16, so a higher limit could not be told apart from this one on the wire.
 */
export const MAX_DELIVERY_LIMIT = 65_535;
/**
 * RabbitMQ quorum queues' default delivery-limit: a message whose consumers keep dying on it is
 * given up after 20 tries, so one poison message cannot cycle through consumers forever, while a
 * message that merely met a few consumer restarts still gets through.
 */
export const DEFAULT_DELIVERY_LIMIT = 20;
