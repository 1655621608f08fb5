/**
 * The D4 model's view of what the server sends, checked frame by frame (docs/protocol.md §6):
 * - every MSG carries a payload some publish of this sequence sent to that topic, unchanged, under
 *   one seq for good (PUBACK and every delivery agree), never a refused one, never before its
 *   SUB_ACK nor after its UNSUB_ACK;
 * - fanout: each subscription hears seqs from its SUB_ACK's next_seq on, in order, every one of
 *   them as a MSG or inside a LAGGED range, and LAGGED only when the topic may have overflowed;
 * - ack "none" queue: each message at most once, never flagged;
 * - manual queue: a message is delivered to one subscription at a time, never again after its ack
 *   was read (an ack sent just before a kill may be lost: then one redelivery is allowed), each
 *   delivery with its own count, flagged redelivered exactly when the count is above 1, with no
 *   more redeliveries than subscriptions the model ended, and no subscription holding more than
 *   the largest prefetch in force;
 * - confirmed publishes are answered once each, in order; the only ERR allowed is QUEUE_FULL from
 *   a queue topic that may have filled.
 */
import type { ErrorCode } from '../../../src/errors.ts';
import { FrameError, MsgFlags, Op } from '../../../src/protocol/index.ts';
import type { ModelClient, ModelListener } from './model-client.ts';
import { type Conn, decodePayload, type Msg, MsgStatus, type Sub, TopicKind } from './model-types.ts';
import type { World } from './model-world.ts';

export class Observer implements ModelListener {
  constructor(readonly w: World) {}

  msg(c: ModelClient, sid: number, seq: number, flags: number, dc: number, payload: Buffer): void {
    const w = this.w;
    const conn = w.conns.get(c.name);
    if (conn === undefined) return;
    const where = `MSG ${conn.name} sid ${sid} seq ${seq} count ${dc}`;
    const sub = conn.subs.get(sid);
    if (sub === undefined) {
      w.fail(`${where}: no such subscription`);
      return;
    }
    if (!sub.subAcked) w.fail(`${where}: before its SUB_ACK`);
    if (sub.unsubAcked) w.fail(`${where}: after its UNSUB_ACK`);
    const msg = this.#published(sub, payload, where);
    if (msg === undefined) return;
    this.#bindSeq(msg, seq, where);
    w.coverage.deliveries++;
    msg.receipts++;
    if (sub.topic.kind === TopicKind.Fanout) this.#fanout(sub, seq, flags, dc, where);
    else if (sub.topic.kind === TopicKind.None) this.#none(msg, flags, dc, where);
    else this.#manual(conn, sub, msg, seq, flags, dc, where);
  }

  #none(msg: Msg, flags: number, dc: number, where: string): void {
    if (flags !== 0 || dc !== 1) this.w.fail(`${where}: flags ${flags} on an ack "none" delivery`);
    if (msg.receipts > 1) this.w.fail(`${where}: delivered ${msg.receipts} times with ack "none"`);
  }

  /** The publish `payload` came from, checked to be this topic's, unchanged and not refused. */
  #published(sub: Sub, payload: Buffer, where: string): Msg | undefined {
    const w = this.w;
    const id = decodePayload(w.run, payload);
    const msg = typeof id === 'number' ? w.msgs.get(id) : undefined;
    if (msg === undefined || msg.topic !== sub.topic) {
      const why =
        typeof id === 'string' ? id : msg === undefined ? 'never published' : `sent to ${msg.topic.name}`;
      w.fail(`${where}: ${typeof id === 'string' ? '' : `message ${id} `}${why}`);
      return undefined;
    }
    if (payload.length !== msg.size) w.fail(`${where}: ${payload.length} bytes, ${msg.size} published`);
    if (msg.status === MsgStatus.Refused) w.fail(`${where}: message ${msg.id} was refused`);
    return msg;
  }

  #bindSeq(msg: Msg, seq: number, where: string): void {
    if (msg.seq !== undefined && msg.seq !== seq) {
      this.w.fail(`${where}: message ${msg.id} was accepted as seq ${msg.seq}`);
    }
    const other = msg.topic.seqToId.get(seq);
    if (other !== undefined && other !== msg.id) this.w.fail(`${where}: seq ${seq} was message ${other}`);
    if (seq > msg.topic.pubsSent) this.w.fail(`${where}: only ${msg.topic.pubsSent} publishes were sent`);
    if (seq < msg.minSeq) {
      this.w.fail(`${where}: message ${msg.id} was published after a SUB_ACK gave next_seq ${msg.minSeq}`);
    }
    msg.topic.maxSeqSeen = Math.max(msg.topic.maxSeqSeen, seq);
    msg.seq = seq;
    msg.topic.seqToId.set(seq, msg.id);
  }

  #fanout(sub: Sub, seq: number, flags: number, dc: number, where: string): void {
    if (flags !== 0 || dc !== 1) this.w.fail(`${where}: flags ${flags} on a fanout delivery`);
    if (seq !== sub.expect) {
      this.w.fail(`${where}: expected seq ${sub.expect} (a gap without LAGGED, a duplicate or a reorder)`);
    }
    sub.expect = Math.max(sub.expect, seq + 1);
  }

  #manual(conn: Conn, sub: Sub, msg: Msg, seq: number, flags: number, dc: number, where: string): void {
    const w = this.w;
    const topic = sub.topic;
    if (flags !== (dc > 1 ? MsgFlags.Redelivered : 0)) w.fail(`${where}: flags ${flags} with count ${dc}`);
    if (dc < 1 || msg.counts.includes(dc)) w.fail(`${where}: delivery count ${dc} is not new`);
    if (dc > 1 + topic.endedSubs) {
      w.fail(`${where}: redelivered, but only ${topic.endedSubs} subscriptions ended holding anything`);
    }
    if (dc > 1) w.coverage.redeliveries++;
    const newest = msg.counts.every((n) => n < dc);
    msg.counts.push(dc);
    if (!newest) {
      // An older delivery read late (its socket was read after another's): only on a
      // subscription that had already ended, since the newer delivery replaced it.
      if (!sub.ending && conn.open) w.fail(`${where}: an older delivery on a live subscription`);
      return;
    }
    if (msg.ackedOn !== undefined) {
      if (!msg.ackUncertain) w.fail(`${where}: delivered again after it was acked on ${msg.ackedOn.name}`);
      // The ack went out just before a kill and the server never read it: this is the redelivery.
      msg.ackedOn = undefined;
      msg.ackUncertain = false;
    }
    const holder = msg.holder;
    if (holder !== undefined && !holder.ending) {
      w.fail(`${where}: ${holder.conn.name} sid ${holder.sid} still holds it unacked`);
    }
    // Delivered before the model ended the subscription: the server gives it back, do not ack.
    if (sub.ending || !conn.open) return;
    msg.holder = sub;
    sub.held.set(seq, msg);
    if (sub.held.size > topic.maxPrefetch) {
      w.fail(`${where}: ${sub.held.size} unacked on one subscription, prefetch at most ${topic.maxPrefetch}`);
    }
    if (conn.draining) w.ack(conn, sub, msg);
  }

  lagged(c: ModelClient, sid: number, fromSeq: number, count: number): void {
    const w = this.w;
    const conn = w.conns.get(c.name);
    if (conn === undefined) return;
    const where = `LAGGED ${conn.name} sid ${sid} from ${fromSeq} count ${count}`;
    const sub = conn.subs.get(sid);
    if (sub === undefined || sub.topic.kind !== TopicKind.Fanout) {
      w.fail(`${where}: not a fanout sid`);
      return;
    }
    if (!sub.subAcked || sub.unsubAcked) w.fail(`${where}: outside the subscription's life`);
    const t = sub.topic;
    if (!t.mayOverflow) {
      w.fail(`${where}: ${t.pubsSent} publishes fit the ring (buffer_size never below ${t.minBuffer})`);
    }
    if (fromSeq !== sub.expect || count < 1) w.fail(`${where}: expected a range from seq ${sub.expect}`);
    sub.expect = Math.max(sub.expect, fromSeq + count);
    w.coverage.laggedNotices++;
  }

  subAck(c: ModelClient, sid: number, nextSeq: number): void {
    const w = this.w;
    const conn = w.conns.get(c.name);
    const sub = conn?.subs.get(sid);
    if (sub === undefined || sub.subAcked) {
      w.fail(`SUB_ACK ${c.name} sid ${sid}: unasked or repeated`);
      return;
    }
    sub.subAcked = true;
    // Seqs seen accepted before the SUB went out are behind it; seqs not yet sent are ahead.
    if (nextSeq <= sub.floor || nextSeq > sub.topic.pubsSent + 1) {
      w.fail(
        `SUB_ACK ${c.name} sid ${sid}: next_seq ${nextSeq}, but seq ${sub.floor} was accepted before and ${sub.topic.pubsSent} publishes were sent`,
      );
    }
    sub.topic.subAckedNext = Math.max(sub.topic.subAckedNext, nextSeq);
    if (sub.topic.kind === TopicKind.Fanout) sub.expect = nextSeq;
  }

  unsubAck(c: ModelClient, sid: number): void {
    const sub = this.w.conns.get(c.name)?.subs.get(sid);
    if (sub === undefined || !sub.ending || sub.unsubAcked) {
      this.w.fail(`UNSUB_ACK ${c.name} sid ${sid}: unasked or repeated`);
      return;
    }
    sub.unsubAcked = true;
  }

  pubAck(c: ModelClient, confirmId: number, seq: number): void {
    const msg = this.#reply(c, confirmId, 'PUBACK');
    if (msg === undefined) return;
    msg.status = MsgStatus.Confirmed;
    this.#bindSeq(msg, seq, `PUBACK ${c.name} confirm ${confirmId} seq ${seq}`);
  }

  /** The publish a PUBACK or PUB ERR answers: always the oldest one still unanswered (§6.1.6). */
  #reply(c: ModelClient, confirmId: number, what: string): Msg | undefined {
    const conn = this.w.conns.get(c.name);
    if (conn === undefined) return undefined;
    const oldest = conn.pending.keys().next().value;
    const msg = conn.pending.get(confirmId);
    if (msg === undefined || oldest !== confirmId) {
      this.w.fail(
        `${what} ${conn.name} confirm ${confirmId}: unasked, repeated or out of order (oldest ${oldest})`,
      );
      return undefined;
    }
    conn.pending.delete(confirmId);
    return msg;
  }

  err(c: ModelClient, code: ErrorCode | number, refOp: number, ref: number, text: string): void {
    const w = this.w;
    if (refOp === Op.PUB && code === 'QUEUE_FULL') {
      w.coverage.queueFull++;
      if (ref === 0) {
        if (!w.manual.mayOverflow && !w.none.mayOverflow)
          w.fail(`QUEUE_FULL on ${c.name}: no queue can be full`);
        return;
      }
      const msg = this.#reply(c, ref, 'QUEUE_FULL');
      if (msg === undefined) return;
      msg.status = MsgStatus.Refused;
      if (msg.topic.kind === TopicKind.Fanout || !msg.topic.mayOverflow) {
        w.fail(`QUEUE_FULL for message ${msg.id} on ${msg.topic.name}, which cannot be full`);
      }
      if (msg.receipts > 0) w.fail(`message ${msg.id} was refused after it was delivered`);
      return;
    }
    w.fail(`unexpected ERR ${code} on ${c.name} (ref_op ${refOp}, ref ${ref}): ${text}`);
  }

  decodeError(c: ModelClient, err: FrameError): void {
    this.w.fail(
      `${c.name} could not decode a server frame: ${err instanceof FrameError ? err.code : ''} ${err.message}`,
    );
  }

  closed(c: ModelClient): void {
    const conn = this.w.conns.get(c.name);
    if (conn !== undefined) this.w.gone(conn);
  }
}
