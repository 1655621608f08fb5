/** The output chunk pool: what it keeps, and letting go of what a burst left behind. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChunkPool,
  LARGE_CHUNK_SIZE,
  MAX_FREE_LARGE,
  MAX_FREE_SMALL,
  SMALL_CHUNK_SIZE,
  TRIM_PERIOD_MS,
} from '../../src/server/chunk-pool.ts';

/** Takes `n` chunks of one size and gives them all back. */
function burst(pool: ChunkPool, n: number, small: boolean): Buffer[] {
  const taken = Array.from({ length: n }, () => pool.take(small ? 100 : 10_000, small));
  for (const chunk of taken) pool.release(chunk);
  return taken;
}

describe('ChunkPool', () => {
  test('hands out chunks of the size asked for, and its own buffer for a frame over a large chunk', () => {
    const pool = new ChunkPool();
    assert.equal(pool.take(100, true).length, SMALL_CHUNK_SIZE);
    assert.equal(pool.take(SMALL_CHUNK_SIZE + 1, true).length, LARGE_CHUNK_SIZE);
    assert.equal(pool.take(100, false).length, LARGE_CHUNK_SIZE);
    const big = pool.take(LARGE_CHUNK_SIZE + 1, false);
    assert.equal(big.length, LARGE_CHUNK_SIZE + 1);
    pool.release(big);
    assert.deepEqual(pool.free, { small: 0, large: 0 }, 'an odd-sized buffer is not pooled');
  });

  test('reuses what it is given back, up to its caps', () => {
    const pool = new ChunkPool();
    const taken = burst(pool, MAX_FREE_LARGE + 10, false);
    burst(pool, MAX_FREE_SMALL + 10, true);
    assert.deepEqual(pool.free, { small: MAX_FREE_SMALL, large: MAX_FREE_LARGE });
    const again = pool.take(100, false);
    assert.ok(taken.includes(again), 'a freed chunk is handed out again');
  });

  test('the sweep lets go of the chunks no take needed for a whole period, and keeps the rest', () => {
    const pool = new ChunkPool();
    let now = TRIM_PERIOD_MS;
    pool.sweep(now); // start of the first period
    burst(pool, 100, false);
    burst(pool, 50, true);
    now += TRIM_PERIOD_MS;
    pool.sweep(now);
    assert.deepEqual(pool.free, { small: 50, large: 100 }, 'the burst was within this period');

    // Next period: at most 30 large and 10 small chunks are out at once.
    burst(pool, 30, false);
    burst(pool, 10, true);
    pool.sweep(now + TRIM_PERIOD_MS - 1);
    assert.deepEqual(pool.free, { small: 50, large: 100 }, 'nothing is trimmed before the period ends');
    now += TRIM_PERIOD_MS;
    pool.sweep(now);
    assert.deepEqual(pool.free, { small: 10, large: 30 }, 'what stayed free all period is gone');

    // A quiet period: everything left was unneeded.
    now += TRIM_PERIOD_MS;
    pool.sweep(now);
    assert.deepEqual(pool.free, { small: 0, large: 0 });
  });

  test('a pool kept busy keeps its chunks: its free list ran dry during the period', () => {
    const pool = new ChunkPool();
    let now = TRIM_PERIOD_MS;
    pool.sweep(now);
    burst(pool, 200, false);
    now += TRIM_PERIOD_MS;
    pool.sweep(now);
    for (let round = 0; round < 3; round++) {
      burst(pool, 200, false);
      now += TRIM_PERIOD_MS;
      pool.sweep(now);
      assert.equal(pool.free.large, 200, `period ${round}`);
    }
  });
});
