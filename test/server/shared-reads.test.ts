/**
 * The server reads every socket into one reused buffer (src/server/shared-reads.ts), so whatever
 * keeps a payload past the read (fanout ring, queue line, unacked deliveries, a held PUB, the
 * decoder's held input) must have copied it. These tests send payloads of many sizes, cut
 * across reads, down each of those paths and check every byte that comes out.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { adoptAccepted, onReads, SHARED_READ_BYTES, sharedReads } from '../../src/server/shared-reads.ts';
import {
  encodeAck,
  encodePub,
  encodeSub,
  FrameDecoder,
  type Frame,
  MsgFlags,
  StartKind,
} from '../../src/protocol/index.ts';
import { startTestServer } from './helpers/test-server.ts';

/** Sizes around the copy paths' thresholds, up to more than one read (SHARED_READ_BYTES). */
const SIZES = [
  100, 0, 1, 31, 32, 33, 64, 65, 127, 128, 129, 1000, 4095, 4096, 20_000, 65_536, 70_000, 300_000,
];

/** The payload of the k-th message: its size and every byte follow from k. */
function payloadOf(k: number): Buffer {
  const p = Buffer.alloc(SIZES[k % SIZES.length]!);
  for (let i = 0; i < p.length; i++) p[i] = (k * 131 + i * 7) & 0xff;
  return p;
}

/** PUB frames for messages 0 .. count-1, the last one confirmed, as one write. */
function burst(topic: string, count: number): Buffer {
  return Buffer.concat(
    Array.from({ length: count }, (_, k) => encodePub(topic, payloadOf(k), k === count - 1 ? 1 : 0)),
  );
}

function assertPayloads(frames: Frame[], first: number, what: string): void {
  frames.forEach((f, i) => {
    assert.equal(f.op, 'MSG', `${what}: frame ${i}`);
    if (f.op !== 'MSG') return;
    assert.ok(f.payload.equals(payloadOf(first + i)), `${what}: payload of message ${first + i} changed`);
  });
}

const TOPIC_LIMITS = { max_message_size: 400_000 };

describe('shared read buffer', () => {
  test('an accepted socket reads through the shared buffer on this Node, with pause, resume and FIN', async (t) => {
    const chunks: Buffer[] = [];
    const server = createServer({ pauseOnConnect: true });
    t.after(() => server.close());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = new Promise<Socket>((resolve) => {
      server.once('connection', (raw: Socket) => resolve(adoptAccepted(raw)));
    });
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    t.after(() => client.destroy());
    const socket = await accepted;
    t.after(() => socket.destroy());
    // Fails if a Node upgrade took away what the takeover needs: reads still work, but each one
    // allocates again (see shared-reads.ts).
    assert.equal(sharedReads(socket), true, 'the accepted socket reads into the shared buffer');
    let paused = true;
    onReads(socket, (chunk) => {
      assert.equal(paused, false, 'no read while paused');
      chunks.push(Buffer.from(chunk));
    });
    socket.pause();
    const sent = Buffer.alloc(300_000);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 13) & 0xff;
    client.end(sent);
    await new Promise((r) => setTimeout(r, 50));
    paused = false;
    socket.resume();
    await once(socket, 'end');
    assert.ok(Buffer.concat(chunks).equals(sent), 'every byte, in order');
  });

  test("where the handle cannot take a caller buffer, the socket keeps Node's own reads", async (t) => {
    const server = createServer({ pauseOnConnect: true });
    t.after(() => server.close());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = new Promise<Socket>((resolve) => {
      server.once('connection', (raw: Socket) => {
        // As on a Node whose handles lack useUserBuffer.
        const handle = (raw as unknown as { _handle: object })._handle;
        Object.defineProperty(handle, 'useUserBuffer', { value: undefined });
        resolve(adoptAccepted(raw));
      });
    });
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    t.after(() => client.destroy());
    const socket = await accepted;
    t.after(() => socket.destroy());
    assert.equal(sharedReads(socket), false);
    const chunks: Buffer[] = [];
    onReads(socket, (chunk) => chunks.push(Buffer.from(chunk)));
    client.end(Buffer.from('over the fallback'));
    await once(socket, 'end');
    assert.equal(Buffer.concat(chunks).toString(), 'over the fallback');
  });

  test('fanout: live and catch-up deliveries carry the exact bytes published', async (t) => {
    assert.ok(Math.max(...SIZES) > SHARED_READ_BYTES, 'some payloads span more than one read');
    const h = await startTestServer({
      topics: [{ name: 'wide', routing: 'Fanout', buffer_size: 1000, ...TOPIC_LIMITS }],
    });
    // Stopped even when an assertion fails, so a failure cannot leave the file hanging.
    t.after(() => h.stop());
    const live = await h.client('live');
    live.send(encodeSub(1, 'wide', StartKind.New, 0));
    assert.equal((await live.next()).op, 'SUB_ACK');
    const pub = await h.client('pub');
    const count = 400;
    pub.send(burst('wide', count));
    assert.equal((await pub.next()).op, 'PUBACK');
    assertPayloads(await live.take(count), 0, 'live subscriber');
    const late = await h.client('late');
    late.send(encodeSub(1, 'wide', StartKind.FromSeq, 1));
    assert.equal((await late.next()).op, 'SUB_ACK');
    assertPayloads(await late.take(count), 0, 'catch-up from the ring');
  });

  test('queue: messages that waited in the line, then were redelivered, carry the exact bytes published', async (t) => {
    const h = await startTestServer({
      topics: [
        { name: 'work', routing: 'Queue', ack: 'manual', prefetch: 1000, buffer_size: 1000, ...TOPIC_LIMITS },
      ],
    });
    // Stopped even when an assertion fails, so a failure cannot leave the file hanging.
    t.after(() => h.stop());
    const pub = await h.client('pub');
    const count = 200;
    pub.send(burst('work', count));
    assert.equal((await pub.next()).op, 'PUBACK');
    const first = await h.client('first');
    first.send(encodeSub(1, 'work', StartKind.New, 0));
    assert.equal((await first.next()).op, 'SUB_ACK');
    assertPayloads(await first.take(count), 0, 'first delivery from the line');
    first.destroy();
    await h.closeOf('first');
    const second = await h.client('second');
    second.send(encodeSub(1, 'work', StartKind.New, 0));
    assert.equal((await second.next()).op, 'SUB_ACK');
    const again = await second.take(count);
    assertPayloads(again, 0, 'redelivery');
    for (const f of again) {
      if (f.op === 'MSG') {
        assert.equal(f.flags & MsgFlags.Redelivered, MsgFlags.Redelivered);
        second.send(encodeAck(1, f.seq));
      }
    }
  });

  test('overflow "block": PUBs held while the line is full carry the exact bytes published', async (t) => {
    const h = await startTestServer({
      topics: [
        { name: 'line', routing: 'Queue', overflow: 'block', buffer_size: 4, ...TOPIC_LIMITS },
        { name: 'noise', routing: 'Fanout', ...TOPIC_LIMITS },
      ],
    });
    // Stopped even when an assertion fails, so a failure cannot leave the file hanging.
    t.after(() => h.stop());
    const pub = await h.client('pub');
    const count = 60;
    pub.send(burst('line', count));
    await new Promise((r) => setTimeout(r, 50)); // the publisher is now held on the full line
    // Another connection's reads go through the same buffer while the PUB is held.
    const other = await h.client('other');
    for (let i = 0; i < 4; i++) other.send(encodePub('noise', Buffer.alloc(60_000, 0xee), i + 1));
    for (let i = 0; i < 4; i++) assert.equal((await other.next()).op, 'PUBACK');
    const consumer = await h.client('consumer');
    consumer.send(encodeSub(1, 'line', StartKind.New, 0));
    assert.equal((await consumer.next()).op, 'SUB_ACK');
    assertPayloads(await consumer.take(count), 0, 'held and replayed PUBs');
    assert.equal((await pub.next()).op, 'PUBACK');
  });

  test('the decoder copies input it holds while paused: the pushed buffer may be reused at once', () => {
    const got: Buffer[] = [];
    const decoder: FrameDecoder = new FrameDecoder(
      {
        onPub: (_confirmId: number, buf: Buffer, _ts: number, _tl: number, ps: number, pe: number) => {
          got.push(Buffer.from(buf.subarray(ps, pe)));
          decoder.pause();
        },
        onError: (err: Error) => assert.fail(err.message),
      } as never,
      { side: 'server', enforceHandshake: false },
    );
    const input = Buffer.concat([
      encodePub('t', payloadOf(8)),
      encodePub('t', payloadOf(9)),
      encodePub('t', payloadOf(10)),
    ]);
    const reused = Buffer.from(input);
    decoder.push(reused);
    reused.fill(0); // the next read lands here
    decoder.resume();
    decoder.resume();
    assert.deepEqual(got, [payloadOf(8), payloadOf(9), payloadOf(10)]);
  });
});
