/**
 * The Node floor: the least a Node process can do to pass a message from a publisher's socket to
 * a subscriber's, in Mycelium's wire format (docs/protocol.md), measured beside the brokers in
 * the raw latency rows with one message in flight.
 *
 * Every PUB is turned into a MSG for every subscriber and written in the same read callback: no
 * topics (every SUB gets every PUB), no checks, no buffering, no batching, no acknowledgements.
 * What is left is Node's own cost per event: waking into a read callback and writing a socket.
 * A broker written in Node cannot answer one message in flight faster than this, so the gap
 * between this column and Mycelium's is what Mycelium itself adds, and the gap between this
 * column and the peers is what Node adds over Go (nats-server) or C (redis-server). It is no
 * floor under a steady rate: one write per message is what a broker's batching saves.
 *
 * Usage: node --import tsx bench/compare/floor-relay.ts <port>   (listens on 127.0.0.1)
 */
import { createServer, type Socket } from 'node:net';
import { MSG_HEADER_SIZE, PUB_HEADER_SIZE } from '../../src/protocol/limits.ts';
import { Op } from '../../src/protocol/ops.ts';
import { encodePong, encodeSubAck, encodeWelcome } from '../../src/protocol/index.ts';
import { writeMsgHeader } from '../../src/protocol/write.ts';

const FRAME_HEADER = 5;
/** The WELCOME's max_frame_size: enough for any bench frame. */
const MAX_FRAME = 16 * 1024 * 1024;
const PONG = encodePong();

interface Subscriber {
  readonly socket: Socket;
  readonly sid: number;
}

const subscribers: Subscriber[] = [];
let seq = 0;

/** A PUB's payload as a MSG to every subscriber, each written at once. */
function relay(frame: Buffer, at: number, length: number): void {
  const topicLen = frame[at + 9]!;
  const payloadStart = at + PUB_HEADER_SIZE + topicLen;
  const payloadLen = at + 4 + length - payloadStart;
  seq++;
  for (const sub of subscribers) {
    const out = Buffer.allocUnsafe(MSG_HEADER_SIZE + payloadLen);
    frame.copy(
      out,
      writeMsgHeader(out, 0, sub.sid, seq, 0, 1, payloadLen),
      payloadStart,
      payloadStart + payloadLen,
    );
    sub.socket.write(out);
  }
}

/** Handles one whole frame: `length` counts the op byte and the body, as the prefix does. */
function handle(socket: Socket, frame: Buffer, at: number, length: number): void {
  switch (frame[at + 4]) {
    case Op.PUB:
      relay(frame, at, length);
      break;
    case Op.HELLO:
      socket.write(encodeWelcome(MAX_FRAME, 0, 'node-floor'));
      break;
    case Op.SUB: {
      const sid = frame.readUInt32BE(at + FRAME_HEADER);
      subscribers.push({ socket, sid });
      socket.write(encodeSubAck(sid, seq + 1));
      break;
    }
    case Op.PING:
      socket.write(PONG);
      break;
    // Nothing else is needed by the latency rows.
  }
}

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  /** Bytes of a frame cut by the end of a read, kept for the next one. */
  let rest: Buffer | null = null;
  socket.on('data', (read: Buffer) => {
    const chunk = rest === null ? read : Buffer.concat([rest, read]);
    rest = null;
    let at = 0;
    while (chunk.length - at >= FRAME_HEADER) {
      const length = chunk.readUInt32BE(at);
      if (chunk.length - at < 4 + length) break;
      handle(socket, chunk, at, length);
      at += 4 + length;
    }
    if (at < chunk.length) rest = Buffer.from(chunk.subarray(at));
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    for (let i = subscribers.length - 1; i >= 0; i--)
      if (subscribers[i]!.socket === socket) subscribers.splice(i, 1);
  });
}

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: floor-relay.ts <port>');
  process.exit(2);
}
createServer({ noDelay: true }, serve).listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
