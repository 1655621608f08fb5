/** Unit tests of the broker's data structures against plain-array models. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { InFlightTable } from '../../src/broker/in-flight.ts';
import { MessageFifo } from '../../src/broker/message-fifo.ts';
import { PayloadRing } from '../../src/broker/ring.ts';
import { sizedPayload } from './helpers.ts';

const payloadOf = (seq: number) => new Uint8Array([seq & 0xff, (seq >> 8) & 0xff]);

/** The ring hands back the bytes it was given (a copy it keeps in its own arena). */
function assertSameBytes(got: Uint8Array, want: Uint8Array | undefined): void {
  assert.ok(want !== undefined);
  assert.deepEqual(Buffer.from(got), Buffer.from(want));
}

describe('PayloadRing', () => {
  test('holds exactly the last `limit` payloads by seq', () => {
    const ring = new PayloadRing(5);
    const payloads = Array.from({ length: 12 }, (_, i) => payloadOf(i + 1));
    for (const p of payloads) ring.push(p);
    assert.equal(ring.head, 13);
    assert.equal(ring.size, 5);
    assert.equal(ring.oldest, 8);
    for (let seq = 8; seq <= 12; seq++) assertSameBytes(ring.get(seq), payloads[seq - 1]);
  });

  test('grows its slot array lazily: a huge limit costs nothing until messages arrive', () => {
    const ring = new PayloadRing(1_000_000);
    assert.equal(ring.capacity, 16);
    for (let i = 1; i <= 100; i++) ring.push(payloadOf(i));
    assert.equal(ring.capacity, 128);
    for (let seq = 1; seq <= 100; seq++) assert.deepEqual(ring.get(seq), payloadOf(seq));
  });

  test('never grows past the first power of two at or above its limit', () => {
    const ring = new PayloadRing(100);
    for (let i = 1; i <= 1_000; i++) ring.push(payloadOf(i));
    assert.equal(ring.capacity, 128);
    assert.equal(ring.oldest, 901);
  });

  test('copies what it keeps: the source buffer may be reused as soon as push returns', () => {
    const shared = Buffer.from('abcdefghij');
    const ring = new PayloadRing(4);
    for (let i = 0; i < 5; i++) ring.pushRange(shared, i * 2, i * 2 + 2);
    shared.fill(0x2e);
    assert.deepEqual(
      [2, 3, 4, 5].map((seq) => Buffer.from(ring.get(seq)).toString()),
      ['cd', 'ef', 'gh', 'ij'],
    );
  });

  test('reuses its arena in place: a steady stream allocates nothing once it has its working size', () => {
    const ring = new PayloadRing(64);
    for (let seq = 1; seq <= 1_000; seq++) ring.push(sizedPayload(seq, 1000 + (seq % 500)));
    const arena = ring.arenaBytes;
    for (let seq = 1_001; seq <= 20_000; seq++) ring.push(sizedPayload(seq, 1000 + (seq % 500)));
    assert.equal(ring.arenaBytes, arena);
    assert.ok(arena <= 4 * 64 * 1500, `arena of ${arena} B for at most 64 x 1500 B held`);
    for (let seq = ring.oldest; seq < ring.head; seq++) {
      assertSameBytes(ring.get(seq), sizedPayload(seq, 1000 + (seq % 500)));
    }
    ring.resize(4);
    assert.ok(ring.arenaBytes < arena, 'a smaller limit gives arena bytes back');
    assert.equal(ring.oldest, 19_997);
    for (let seq = ring.oldest; seq < ring.head; seq++) {
      assertSameBytes(ring.get(seq), sizedPayload(seq, 1000 + (seq % 500)));
    }
  });

  test('a payload that fits nowhere while the arena is wrapped packs both runs, in order', () => {
    // 16 KiB arena, limit 3: seq 4 wraps to 0 behind seqs 2 and 3, and seq 5 fits neither after
    // seq 4 nor at the end, so the arena grows with seq 3 first and the wrapped seq 4 after it.
    const ring = new PayloadRing(3);
    const sizes = [5000, 5000, 5000, 5000, 6000];
    const layouts: string[] = [];
    for (const [k, n] of sizes.entries()) {
      ring.push(sizedPayload(k + 1, n));
      const layout: string[] = [];
      for (let seq = ring.oldest; seq < ring.head; seq++) layout.push(`${seq}@${ring.startOf(seq)}`);
      layouts.push(layout.join(' '));
    }
    assert.equal(layouts[3], '2@5000 3@10000 4@0', 'seq 4 wrapped');
    assert.equal(layouts[4], '3@0 4@5000 5@10000', 'packed in push order');
    assert.equal(ring.arenaBytes, 32 * 1024);
    for (let seq = 3; seq <= 5; seq++) assertSameBytes(ring.get(seq), sizedPayload(seq, sizes[seq - 1]!));
  });

  test('holds the newest payloads of any mix of sizes through wraps, growth and resizes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ push: fc.integer({ min: 0, max: 70_000 }) }),
            fc.record({ push: fc.integer({ min: 0, max: 300 }) }),
            // A few of these fill the first 16 KiB arena: wraps, then packs while wrapped.
            fc.record({ push: fc.integer({ min: 2000, max: 8000 }) }),
            fc.record({ resize: fc.integer({ min: 0, max: 40 }) }),
          ),
          { maxLength: 80 },
        ),
        fc.integer({ min: 1, max: 6 }),
        (ops, initial) => {
          const ring = new PayloadRing(initial);
          let limit = initial;
          const model: Uint8Array[] = [];
          let seq = 1;
          for (const op of ops) {
            if ('push' in op) {
              const p = sizedPayload(seq++, op.push);
              if (seq % 2 === 0) {
                ring.push(p);
              } else {
                // As a read buffer holds it: a range of an array that itself starts inside its
                // ArrayBuffer, scribbled over once pushed.
                const host = new Uint8Array(p.length + 9);
                host.set(p, 6);
                const window = host.subarray(2);
                ring.pushRange(window, 4, 4 + p.length);
                host.fill(0xee);
              }
              if (limit > 0) model.push(p);
              if (model.length > limit) model.shift();
            } else {
              limit = op.resize;
              ring.resize(limit);
              while (model.length > limit) model.shift();
            }
            assert.equal(ring.size, model.length);
            assert.equal(ring.head, seq);
            for (const [i, p] of model.entries()) {
              const held = seq - model.length + i;
              assertSameBytes(ring.get(held), p);
              assertSameBytes(ring.bytes.subarray(ring.startOf(held), ring.endOf(held)), p);
            }
            // The layout packing relies on: end to end in push order, wrapping to 0 at most once.
            let wraps = 0;
            for (let held = ring.oldest + 1; held < ring.head; held++) {
              if (ring.startOf(held) === ring.endOf(held - 1)) continue;
              assert.equal(ring.startOf(held), 0, `seq ${held} neither follows the one before nor wraps`);
              wraps++;
            }
            assert.ok(wraps <= 1, `${wraps} wraps`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('MessageFifo', () => {
  test('behaves as a double-ended queue of (seq, payload, deliveries)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('push', 'unshift', 'shift'), { maxLength: 200 }), (ops) => {
        const fifo = new MessageFifo();
        const model: [number, Uint8Array, number][] = [];
        let seq = 1;
        for (const op of ops) {
          if (op === 'push' || op === 'unshift') {
            const entry: [number, Uint8Array, number] = [seq, payloadOf(seq), seq % 5];
            seq++;
            if (op === 'push') {
              fifo.push(...entry);
              model.push(entry);
            } else {
              fifo.unshift(...entry);
              model.unshift(entry);
            }
          } else if (model.length > 0) {
            fifo.shift();
            model.shift();
          }
          assert.equal(fifo.length, model.length);
          const head = model[0];
          if (head !== undefined) {
            assert.deepEqual([fifo.headSeq, fifo.headPayload, fifo.headDeliveries], head);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('InFlightTable', () => {
  test('adds, finds and deletes seqs in any order, like a Map', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 300 })), { maxLength: 400 }),
        fc.integer({ min: 1, max: 8 }),
        (ops, stride) => {
          const table = new InFlightTable();
          const model = new Map<number, number>();
          for (const [add, n] of ops) {
            const seq = n * stride; // strided seqs, as a round-robin consumer sees them
            if (add && !model.has(seq)) {
              table.add(seq, payloadOf(seq), n % 7);
              model.set(seq, n % 7);
            } else {
              assert.equal(table.delete(seq), model.delete(seq));
            }
            assert.equal(table.size, model.size);
          }
          for (const seq of model.keys()) assert.ok(table.has(seq));
          const seqs: number[] = [];
          const payloads: Uint8Array[] = [];
          const deliveries: number[] = [];
          table.drainSorted(seqs, payloads, deliveries);
          const sorted = [...model.keys()].sort((a, b) => a - b);
          assert.deepEqual(seqs, sorted);
          assert.deepEqual(
            deliveries,
            sorted.map((s) => model.get(s)),
          );
          assert.deepEqual(payloads, sorted.map(payloadOf));
          assert.equal(table.size, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('handles seqs beyond 2^32', () => {
    const table = new InFlightTable();
    const base = 2 ** 40;
    for (let i = 0; i < 100; i++) table.add(base + i, payloadOf(i), 1);
    for (let i = 0; i < 100; i += 2) assert.ok(table.delete(base + i));
    for (let i = 0; i < 100; i++) assert.equal(table.has(base + i), i % 2 === 1);
  });
});
