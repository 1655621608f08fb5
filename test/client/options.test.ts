import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MyceliumError } from '../../src/client/index.ts';
import { backoffDelay } from '../../src/client/backoff.ts';
import { TOPIC_CACHE_LIMIT, TopicCache } from '../../src/client/topic-cache.ts';
import {
  type ConnectOptions,
  DEFAULT_MAX_RECONNECT_ATTEMPTS,
  DEFAULT_RECONNECT_BUFFER_BYTES,
  resolveOptions,
} from '../../src/client/options.ts';

describe('reconnect backoff', () => {
  it('doubles from the initial delay and stops growing at the cap', () => {
    const top = () => 0.999999;
    const steps = [1, 2, 3, 4, 5, 6, 10, 50].map((attempt) => backoffDelay(attempt, 100, 1000, top));
    assert.deepEqual(steps, [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it('jitter keeps each delay within the upper half of its step', () => {
    for (const attempt of [1, 2, 3, 8]) {
      const step = Math.min(2000, 100 * 2 ** (attempt - 1));
      assert.equal(
        backoffDelay(attempt, 100, 2000, () => 0),
        step / 2,
      );
      for (let i = 0; i < 100; i++) {
        const d = backoffDelay(attempt, 100, 2000);
        assert.ok(d >= step / 2 && d <= step, `attempt ${attempt}: ${d} not in [${step / 2}, ${step}]`);
      }
    }
  });
});

describe('connect options', () => {
  it('defaults apply when nothing is given', () => {
    const o = resolveOptions();
    assert.equal(o.reconnect, true);
    assert.equal(o.maxReconnectAttempts, DEFAULT_MAX_RECONNECT_ATTEMPTS);
    assert.equal(o.reconnectBufferBytes, DEFAULT_RECONNECT_BUFFER_BYTES);
    assert.equal(o.pingIntervalMs, undefined);
    assert.equal(o.name, '');
    assert.equal(o.token, '');
  });

  it('values in range are kept, Infinity attempts included', () => {
    const o = resolveOptions({
      maxReconnectAttempts: Infinity,
      reconnectDelayMs: 5,
      pingIntervalMs: 0,
      name: 'n',
    });
    assert.equal(o.maxReconnectAttempts, Infinity);
    assert.equal(o.reconnectDelayMs, 5);
    assert.equal(o.pingIntervalMs, 0);
    assert.equal(o.name, 'n');
  });

  it('values out of range are refused with INVALID_ARGUMENT naming the option', () => {
    const table: Array<[ConnectOptions, string]> = [
      [{ maxReconnectAttempts: 0 }, 'maxReconnectAttempts'],
      [{ maxReconnectAttempts: 1.5 }, 'maxReconnectAttempts'],
      [{ reconnectDelayMs: 0 }, 'reconnectDelayMs'],
      [{ reconnectDelayMs: 100, maxReconnectDelayMs: 99 }, 'maxReconnectDelayMs'],
      [{ reconnectBufferBytes: -1 }, 'reconnectBufferBytes'],
      [{ connectTimeoutMs: Infinity }, 'connectTimeoutMs'],
      [{ pingIntervalMs: -1 }, 'pingIntervalMs'],
      [{ maxPingsOut: 0 }, 'maxPingsOut'],
      [{ name: 'x'.repeat(257) }, 'name'],
      [{ token: 'é'.repeat(513) }, 'token'],
      [{ reconnect: 'yes' as unknown as boolean }, 'reconnect'],
    ];
    for (const [options, key] of table) {
      assert.throws(
        () => resolveOptions(options),
        (err: unknown) =>
          err instanceof MyceliumError && err.code === 'INVALID_ARGUMENT' && err.message.includes(key),
        JSON.stringify(options),
      );
    }
  });
});

describe('topic cache', () => {
  it('a topic is encoded once: the same bytes come back for the same name', () => {
    const cache = new TopicCache();
    const first = cache.get('orders.eu');
    assert.equal(first.toString('latin1'), 'orders.eu');
    assert.equal(cache.get('orders.eu'), first);
  });

  it('past its limit the cache starts over instead of growing', () => {
    const cache = new TopicCache();
    const first = cache.get('t0');
    for (let i = 1; i <= TOPIC_CACHE_LIMIT; i++) cache.get(`t${i}`);
    const again = cache.get('t0');
    assert.notEqual(again, first, 're-encoded after the reset');
    assert.deepEqual(again, first);
  });
});
