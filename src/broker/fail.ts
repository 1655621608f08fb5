/**
 * The broker's throw paths, kept out of the hot functions: a `throw new` with a template string
 * inside `publish` would make it bigger and less likely to be inlined. Each returns `never`.
 */
import { MyceliumError } from '../errors.ts';
import { MAX_TOPIC_NAME_LENGTH } from './topic-name.ts';

/** A name as error text shows it: quoted, escaped, cut at the longest valid length. */
export function showName(name: string): string {
  const text = String(name);
  return JSON.stringify(
    text.length > MAX_TOPIC_NAME_LENGTH ? `${text.slice(0, MAX_TOPIC_NAME_LENGTH)}...` : text,
  );
}

export function topicNotFound(name: string): never {
  throw new MyceliumError(
    'TOPIC_NOT_FOUND',
    `no topic named ${showName(name)}; declare it in the config or create it`,
  );
}

export function messageTooLarge(topic: string, size: number, max: number): never {
  throw new MyceliumError(
    'MESSAGE_TOO_LARGE',
    `payload of ${size} bytes is over topic "${topic}"'s max_message_size of ${max} bytes`,
  );
}

export function queueFull(topic: string, waiting: number): never {
  throw new MyceliumError(
    'QUEUE_FULL',
    `queue topic "${topic}" has ${waiting} messages waiting for a consumer (its buffer_size); retry later`,
  );
}

export function subscriptionNotFound(topic: string, sid: number): never {
  throw new MyceliumError('SUBSCRIPTION_NOT_FOUND', `subscription ${sid} on "${topic}" has ended`);
}

export function ackNotExpected(topic: string): never {
  throw new MyceliumError('ACK_NOT_EXPECTED', `topic "${topic}" does not use manual acks`);
}

export function ackNotFound(topic: string, sid: number, seq: number): never {
  throw new MyceliumError(
    'ACK_NOT_FOUND',
    `subscription ${sid} on "${topic}" holds no unacked delivery of seq ${seq} (acked already, or redelivered)`,
  );
}

export function invalidArgument(message: string): never {
  throw new MyceliumError('INVALID_ARGUMENT', message);
}
