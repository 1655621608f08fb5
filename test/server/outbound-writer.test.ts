import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ChunkPool, LARGE_CHUNK_SIZE, SMALL_CHUNK_SIZE } from '../../src/server/chunk-pool.ts';
import { FlushScheduler } from '../../src/server/flush-scheduler.ts';
import { OutboundWriter, type WriterLimits, type WriterOwner } from '../../src/server/outbound-writer.ts';
import { nextTick, readBytes, type SocketPair, socketPair } from './helpers/socket-pair.ts';

class Owner implements WriterOwner {
  overflows: number[] = [];
  writables = 0;
  writerOverflow(pending: number): void {
    this.overflows.push(pending);
  }
  writerWritable(): void {
    this.writables++;
  }
}

const LIMITS: WriterLimits = { batchSize: 1000, channelCapacity: 100_000, maxPendingBytes: 64 << 20 };

function frame(i: number, size = 8): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt32BE(i, 0);
  return b;
}

function setup(pair: SocketPair, limits: Partial<WriterLimits> = {}, intervalMs = 0) {
  const pool = new ChunkPool();
  const scheduler = new FlushScheduler(intervalMs);
  const owner = new Owner();
  const writer = new OutboundWriter(pair.server, pool, scheduler, { ...LIMITS, ...limits }, owner);
  return { pool, scheduler, owner, writer };
}

describe('OutboundWriter', () => {
  let pair: SocketPair;
  before(async () => {
    pair = await socketPair();
  });
  after(() => pair.close());

  test('frames queued in a tick are written at its end, in order', async () => {
    const { writer } = setup(pair);
    const received = readBytes(pair.client, 8 * 500);
    for (let i = 0; i < 500; i++) writer.writeFrame(frame(i));
    assert.equal(writer.queuedFrames, 500, 'nothing is written before the tick ends');
    await nextTick();
    assert.equal(writer.queuedFrames, 0);
    const bytes = await received;
    for (let i = 0; i < 500; i++) assert.equal(bytes.readUInt32BE(i * 8), i);
    writer.close();
  });

  test('batch_size queued frames are flushed at once, without waiting for the tick', async () => {
    const { writer } = setup(pair, { batchSize: 10 });
    const received = readBytes(pair.client, 8 * 10);
    for (let i = 0; i < 9; i++) writer.writeFrame(frame(i));
    assert.equal(writer.queuedFrames, 9);
    writer.writeFrame(frame(9));
    assert.equal(writer.queuedFrames, 0);
    assert.equal((await received).readUInt32BE(72), 9);
    writer.close();
  });

  test('frames spanning many chunks, and one larger than a chunk, arrive whole and in order', async () => {
    const { writer } = setup(pair);
    const big = Buffer.alloc(LARGE_CHUNK_SIZE * 2 + 3, 7);
    const small = 300;
    const total = small * 1000 + big.length;
    const received = readBytes(pair.client, total);
    for (let i = 0; i < 500; i++) writer.writeFrame(frame(i, small));
    writer.writeFrame(big);
    for (let i = 500; i < 1000; i++) writer.writeFrame(frame(i, small));
    const bytes = await received;
    assert.equal(bytes.readUInt32BE(499 * small), 499);
    assert.equal(bytes[500 * small], 7);
    assert.equal(bytes[500 * small + big.length - 1], 7);
    assert.equal(bytes.readUInt32BE(500 * small + big.length), 500);
    assert.equal(bytes.readUInt32BE(total - small), 999);
    writer.close();
  });

  test('an idle writer gives its chunks back to the pool once they are written', async () => {
    const { writer, pool } = setup(pair);
    const received = readBytes(pair.client, 8);
    writer.writeFrame(frame(1));
    assert.equal(writer.chunk.length, SMALL_CHUNK_SIZE, 'the first chunk of a batch is small');
    await received;
    await nextTick();
    assert.equal(writer.chunk.length, 0, 'no chunk is held while idle');
    assert.equal(pool.free.small, 1);
    writer.close();
  });

  test('a frame written after close is dropped and its chunk goes back to the pool', () => {
    const { writer, pool } = setup(pair);
    writer.close();
    writer.writeFrame(frame(1));
    assert.equal(writer.queuedFrames, 0);
    assert.equal(writer.writable, false);
    assert.equal(pool.free.small, 1, 'the chunk taken for the frame was given back');
  });

  test('writable turns false at channel_capacity queued frames and the owner hears when it is back', async () => {
    const { writer, owner } = setup(pair, { channelCapacity: 3 });
    const received = readBytes(pair.client, 24);
    writer.writeFrame(frame(1));
    writer.writeFrame(frame(2));
    assert.equal(writer.writable, true);
    writer.writeFrame(frame(3));
    assert.equal(writer.writable, false);
    await received;
    await nextTick();
    assert.equal(writer.writable, true);
    assert.equal(owner.writables, 1);
    writer.close();
  });
});

describe('OutboundWriter and the socket high-water mark', () => {
  test('a write above the high-water mark that the kernel takes whole does not hold back the next flush', async (t) => {
    const pair = await socketPair();
    t.after(() => pair.close());
    const { writer } = setup(pair, { batchSize: 1 });
    const received = readBytes(pair.client, 32 * 1024 + 8);
    writer.writeFrame(Buffer.alloc(32 * 1024));
    assert.equal(writer.writable, true, 'nothing is left in the socket');
    writer.writeFrame(frame(1));
    assert.equal(writer.queuedFrames, 0, 'written at once, not after a drain');
    await received;
    writer.close();
  });

  test('a backlog left by writes that returned true ends when the socket catches up, and the owner hears of it', async (t) => {
    const pair = await socketPair();
    t.after(() => pair.close());
    pair.client.pause();
    const { writer, owner } = setup(pair, { batchSize: 1 });
    for (let i = 0; i < 10_000 && writer.writable; i++) writer.writeFrame(Buffer.alloc(4096));
    assert.equal(writer.writable, false, 'the socket backed up');
    pair.client.resume();
    while (owner.writables === 0) await nextTick();
    assert.equal(writer.writable, true);
    writer.close();
  });
});

describe('OutboundWriter against a reader that never reads', () => {
  test('pending bytes over max_pending_bytes are reported to the owner', async (t) => {
    const pair = await socketPair();
    t.after(() => pair.close());
    pair.client.pause();
    const { writer, owner } = setup(pair, { maxPendingBytes: 256 * 1024 });
    const payload = Buffer.alloc(16 * 1024);
    for (let round = 0; round < 200 && owner.overflows.length === 0; round++) {
      for (let i = 0; i < 4; i++) writer.writeFrame(payload);
      await nextTick();
    }
    assert.ok(owner.overflows.length > 0, 'overflow reported');
    assert.ok(owner.overflows[0]! > 256 * 1024);
    assert.equal(writer.writable, false, 'a backed-up socket is not writable');
    assert.ok(writer.stalledFor(performance.now() + 60_000) > 0, 'the stall is measured');
    writer.close();
  });
});

describe('FlushScheduler', () => {
  test('after a read batch, output older than flush_interval_ms is flushed before the tick ends', async (t) => {
    const pair = await socketPair();
    t.after(() => pair.close());
    const { writer, scheduler } = setup(pair, {}, 2);
    writer.writeFrame(frame(1));
    scheduler.afterRead();
    assert.equal(writer.queuedFrames, 1, 'a fresh batch waits');
    const start = performance.now();
    while (performance.now() - start < 3) {
      // Spin past the interval, as a long run of read batches in one tick would.
    }
    scheduler.afterRead();
    assert.equal(writer.queuedFrames, 0);
    writer.close();
  });

  test('with flush_interval_ms = 0 only the end of the tick flushes', async (t) => {
    const pair = await socketPair();
    t.after(() => pair.close());
    const { writer, scheduler } = setup(pair, {}, 0);
    writer.writeFrame(frame(1));
    scheduler.afterRead();
    assert.equal(writer.queuedFrames, 1);
    await nextTick();
    assert.equal(writer.queuedFrames, 0);
    writer.close();
  });
});
