/** The small-copy helpers the ring and the connections copy payloads with. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { copySmall, forgetViews, rangeView, SMALL_COPY_MAX, viewOf } from '../../src/byte-copy.ts';
import { sizedPayload } from './helpers.ts';

describe('copySmall', () => {
  test('copies every length up to past SMALL_COPY_MAX, at any offsets, and nothing around it', () => {
    for (let n = 0; n <= SMALL_COPY_MAX + 9; n++) {
      for (const [from, to] of [
        [0, 0],
        [1, 3],
        [7, 2],
        [5, 13],
      ] as const) {
        const source = sizedPayload(n, from + n + 4);
        const target = new Uint8Array(to + n + 4).fill(0xee);
        copySmall(new DataView(source.buffer), from, new DataView(target.buffer), to, n);
        assert.deepEqual(target.subarray(to, to + n), source.subarray(from, from + n), `n ${n}`);
        assert.ok(
          target.subarray(0, to).every((b) => b === 0xee),
          `n ${n}: nothing before`,
        );
        assert.ok(
          target.subarray(to + n).every((b) => b === 0xee),
          `n ${n}: nothing after`,
        );
      }
    }
  });
});

describe('viewOf', () => {
  test('views the array from its first byte, wherever it starts in its ArrayBuffer', () => {
    const host = sizedPayload(1, 64);
    const window = host.subarray(10, 30);
    const view = viewOf(window);
    assert.equal(view.getUint8(0), host[10]);
    assert.equal(view.getUint8(19), host[29]);
    assert.ok(view.byteLength >= window.length);
  });

  test('a new array at the same place in the same buffer (the next read) reuses the view', () => {
    const readBuffer = sizedPayload(5, 1000);
    const firstRead = readBuffer.subarray(0, 300);
    const view = viewOf(firstRead);
    const nextRead = readBuffer.subarray(0, 900);
    assert.equal(viewOf(nextRead), view);
    assert.equal(view.getUint8(899), readBuffer[899], 'the view covers the longer read');
    assert.notEqual(viewOf(readBuffer.subarray(1, 900)), view, 'another start is another view');
  });

  test('gives the same view back for each of the last two arrays, and a fresh one for a third', () => {
    const a = sizedPayload(1, 8);
    const b = sizedPayload(2, 8);
    const c = sizedPayload(3, 8);
    const va = viewOf(a);
    const vb = viewOf(b);
    assert.equal(viewOf(a), va);
    assert.equal(viewOf(b), vb);
    const vc = viewOf(c);
    assert.notEqual(vc, va);
    assert.equal(vc.getUint8(0), c[0]);
    // b and c are now the last two: a gets a new view, of a's bytes.
    assert.equal(viewOf(b), vb);
    const va2 = viewOf(a);
    assert.notEqual(va2, va);
    assert.equal(va2.getUint8(1), a[1]);
  });

  test('a view follows later writes to its array (it holds no copy)', () => {
    const a = sizedPayload(4, 8);
    const view = viewOf(a);
    a[3] = 0x5a;
    assert.equal(view.getUint8(3), 0x5a);
  });
});

describe('rangeView', () => {
  test('views the range asked for, of an array that may start inside its ArrayBuffer', () => {
    const host = sizedPayload(1, 600);
    const window = host.subarray(40, 540);
    const view = rangeView(window, 100, 300);
    assert.equal(view.length, 300);
    assert.deepEqual(view, host.subarray(140, 440));
  });

  test('the same range of the same array gives the same view; anything else a new one', () => {
    const a = sizedPayload(2, 500);
    const b = sizedPayload(3, 500);
    const first = rangeView(a, 10, 200);
    assert.equal(rangeView(a, 10, 200), first, 'the ring and each subscriber share one view');
    const shifted = rangeView(a, 11, 200);
    assert.notEqual(shifted, first);
    assert.deepEqual(shifted, a.subarray(11, 211));
    const shorter = rangeView(a, 11, 199);
    assert.deepEqual(shorter, a.subarray(11, 210));
    const other = rangeView(b, 11, 199);
    assert.deepEqual(other, b.subarray(11, 210), 'another array with the same range is not mistaken for it');
  });
});

describe('forgetViews', () => {
  test('drops the cached views: the next calls make new ones, of the right bytes', () => {
    const a = sizedPayload(6, 400);
    const view = viewOf(a);
    const range = rangeView(a, 5, 300);
    forgetViews();
    const view2 = viewOf(a);
    assert.notEqual(view2, view);
    assert.equal(view2.getUint8(7), a[7]);
    const range2 = rangeView(a, 5, 300);
    assert.notEqual(range2, range);
    assert.deepEqual(range2, a.subarray(5, 305));
  });
});
