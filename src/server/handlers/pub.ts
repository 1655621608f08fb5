/**
 * PUB (docs/protocol.md §3.3): the hot path. Topic bytes resolve through the connection's cache,
 * the payload goes to the broker as a range of the shared read buffer (no view object, no
 * string; the broker copies only what it keeps), and a confirmed publish gets PUBACK written in
 * place. Failures answer ERR with ref = confirm id and leave the connection open, also for
 * unconfirmed publishes, so the publisher learns of them.
 *
 * The decoder leaves the topic bytes unchecked (DecoderOptions.checkPubTopicBytes): a topic found
 * through the cache or the broker exists, so its name is valid; only a topic found nowhere is
 * checked, to answer INVALID_TOPIC rather than TOPIC_NOT_FOUND.
 */
import { OverflowPolicy } from '../../broker/index.ts';
import { MyceliumError } from '../../errors.ts';
import { Op, PUBACK_FRAME_SIZE, topicBytesProblem, writePubAck } from '../../protocol/index.ts';
import type { Connection } from '../connection.ts';

export function handlePub(
  c: Connection,
  confirmId: number,
  buf: Buffer,
  topicStart: number,
  topicLen: number,
  payloadStart: number,
  payloadEnd: number,
): void {
  if (c.ctx.draining) {
    c.reply('SHUTTING_DOWN', Op.PUB, confirmId, 'the server is shutting down and accepts no publishes');
    return;
  }
  const topic = c.topics.lookup(buf, topicStart, topicLen);
  if (topic === undefined) {
    notFound(c, confirmId, buf, topicStart, topicLen);
    return;
  }
  const broker = c.ctx.broker;
  if (topic.settings.overflow === OverflowPolicy.Block && !broker.canPublish(topic)) {
    c.reads.hold(topic, confirmId, buf, topicStart, topicLen, payloadStart, payloadEnd);
    return;
  }
  let seq: number;
  try {
    seq = broker.publish(topic, buf, payloadStart, payloadEnd);
  } catch (err) {
    if (!(err instanceof MyceliumError)) throw err;
    if (err.code !== 'TOPIC_NOT_FOUND') {
      c.reply(err.code, Op.PUB, confirmId, err.message);
      return;
    }
    // A cached handle went stale (topic deleted, maybe recreated): look the name up again once.
    c.topics.forget(topic);
    if (c.topics.lookup(buf, topicStart, topicLen) !== undefined) {
      handlePub(c, confirmId, buf, topicStart, topicLen, payloadStart, payloadEnd);
    } else {
      notFound(c, confirmId, buf, topicStart, topicLen);
    }
    return;
  }
  if (confirmId !== 0) {
    const w = c.writer;
    const at = w.reserve(PUBACK_FRAME_SIZE);
    writePubAck(w.chunk, at, confirmId, seq);
    w.commit(PUBACK_FRAME_SIZE);
  }
  // A fanout subscriber could not keep up: pause this publisher briefly (publisher_stall_ms).
  const behind = topic.behind;
  if (behind) c.stallFor(behind);
}

/** No topic has these bytes for a name: say whether the name is invalid (§3.14) or unknown. */
function notFound(c: Connection, confirmId: number, buf: Buffer, topicStart: number, topicLen: number): void {
  const problem = topicBytesProblem(buf, topicStart, topicLen);
  if (problem !== undefined) {
    c.reply('INVALID_TOPIC', Op.PUB, confirmId, problem);
    return;
  }
  const name = buf.toString('latin1', topicStart, topicStart + topicLen);
  c.reply('TOPIC_NOT_FOUND', Op.PUB, confirmId, `no topic named "${name}"`);
}
