import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MyceliumError } from '../../src/errors.ts';
import { OUTBOX_CHUNK_BYTES, Outbox } from '../../src/client/outbox.ts';
import type { Transport } from '../../src/client/transport.ts';

/** A transport that records each write (as one Buffer) and accepts until told otherwise. */
class RecordingTransport implements Transport {
  writes: Buffer[] = [];
  accept = true;
  callbacks: Array<() => void> = [];
  write(chunks: readonly Uint8Array[], done?: () => void): boolean {
    this.writes.push(Buffer.concat(chunks));
    if (done) this.callbacks.push(done);
    return this.accept;
  }
  end(): void {}
  destroy(): void {}
  /** Calls the write callbacks, as the socket does once bytes reach the kernel. */
  complete(): void {
    for (const cb of this.callbacks.splice(0)) cb();
  }
}

function frame(outbox: Outbox, byte: number, size: number): void {
  const chunk = outbox.reserve(size);
  chunk.fill(byte, outbox.pos, outbox.pos + size);
  outbox.commit(size);
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('client outbox', () => {
  it('frames committed in one synchronous run go out in one write on the next microtask', async () => {
    const t = new RecordingTransport();
    const outbox = new Outbox();
    outbox.attach(t);
    for (let i = 0; i < 100; i++) frame(outbox, i, 10);
    assert.equal(t.writes.length, 0, 'nothing written synchronously');
    await Promise.resolve();
    assert.equal(t.writes.length, 1);
    assert.equal(t.writes[0]!.length, 1000);
    assert.equal(t.writes[0]![990], 99);
  });

  it('64 KiB pending is written at once, without waiting for the microtask', () => {
    const t = new RecordingTransport();
    const outbox = new Outbox();
    outbox.attach(t);
    const size = 1024;
    for (let i = 0; i < OUTBOX_CHUNK_BYTES / size; i++) frame(outbox, 1, size);
    assert.equal(t.writes.length, 1);
    assert.equal(t.writes[0]!.length, OUTBOX_CHUNK_BYTES);
  });

  it('after a write returns false nothing is written until drained, then all pending goes in one write', async () => {
    const t = new RecordingTransport();
    const outbox = new Outbox();
    outbox.attach(t);
    t.accept = false;
    frame(outbox, 1, 100);
    await tick();
    assert.equal(t.writes.length, 1);
    for (let i = 0; i < 2000; i++) frame(outbox, 2, 100);
    await tick();
    assert.equal(t.writes.length, 1, 'blocked: no write');
    assert.equal(outbox.pendingBytes, 200_000);
    t.accept = true;
    outbox.drained();
    assert.equal(t.writes.length, 2);
    assert.equal(t.writes[1]!.length, 200_000);
    assert.equal(outbox.pendingBytes, 0);
  });

  it('a frame larger than a chunk is kept whole', async () => {
    const t = new RecordingTransport();
    const outbox = new Outbox();
    outbox.attach(t);
    frame(outbox, 7, 10);
    frame(outbox, 8, OUTBOX_CHUNK_BYTES * 3);
    await tick();
    const all = Buffer.concat(t.writes);
    assert.equal(all.length, 10 + OUTBOX_CHUNK_BYTES * 3);
    assert.equal(all[9], 7);
    assert.equal(all[10], 8);
    assert.equal(all.at(-1), 8);
  });

  it('flush() resolves only once the transport reports the bytes written', async () => {
    const t = new RecordingTransport();
    const outbox = new Outbox();
    outbox.attach(t);
    frame(outbox, 1, 10);
    let done = false;
    const flushed = outbox.flush().then(() => {
      done = true;
    });
    await tick();
    assert.equal(done, false);
    t.complete();
    await flushed;
    assert.equal(done, true);
  });

  it('with no transport frames are held and sent on attach', async () => {
    const outbox = new Outbox();
    frame(outbox, 3, 50);
    frame(outbox, 4, 50);
    assert.equal(outbox.pendingBytes, 100);
    const t = new RecordingTransport();
    outbox.attach(t);
    assert.equal(t.writes.length, 1);
    assert.equal(t.writes[0]!.length, 100);
  });

  it('reset drops pending frames and rejects flush waiters', async () => {
    const t = new RecordingTransport();
    const outbox = new Outbox();
    outbox.attach(t);
    t.accept = false;
    frame(outbox, 1, 10);
    await tick();
    frame(outbox, 2, 10);
    const flushed = outbox.flush();
    outbox.reset(new MyceliumError('CONNECTION_CLOSED'));
    await assert.rejects(flushed, { code: 'CONNECTION_CLOSED' });
    assert.equal(outbox.pendingBytes, 0);
    const next = new RecordingTransport();
    outbox.attach(next);
    assert.equal(next.writes.length, 0, 'nothing of the dead connection is replayed');
  });
});
