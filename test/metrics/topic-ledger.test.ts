import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TopicCounters, TopicHandle, TopicStats } from '../../src/broker/index.ts';
import { COUNTER_FIELDS, TopicLedger } from '../../src/metrics/topic-ledger.ts';

function handle(name: string): TopicHandle {
  return { name, settings: {} as TopicHandle['settings'] };
}

function stats(name: string, counters: Partial<TopicCounters>): TopicStats {
  const zero = Object.fromEntries(COUNTER_FIELDS.map((f) => [f, 0])) as unknown as TopicCounters;
  return {
    ...zero,
    ...counters,
    name,
    routing: 'Fanout',
    nextSeq: 1,
    subscribers: 0,
    depth: 0,
    inFlight: 0,
    maxLag: 0,
  };
}

describe('TopicLedger', () => {
  test('while one topic instance lives, totals are its counters as last read', () => {
    const ledger = new TopicLedger();
    const h = handle('a');
    ledger.update([stats('a', { published: 3, delivered: 6 })], () => h);
    ledger.update([stats('a', { published: 5, delivered: 9 })], () => h);
    assert.equal(ledger.total('a', 'published'), 5);
    assert.equal(ledger.total('a', 'delivered'), 9);
  });

  test('a topic deleted and created again continues from its old total instead of going back to 0', () => {
    const ledger = new TopicLedger();
    const first = handle('a');
    const second = handle('a');
    // Each row: the instance read, its published counter, the total expected afterwards.
    const readings: [TopicHandle | undefined, number | undefined, number][] = [
      [first, 4, 4],
      [undefined, undefined, 4], // deleted: not listed, total kept
      [second, 1, 5], // re-created: counts from 0 again, added on top
      [second, 3, 7],
    ];
    for (const [h, published, expected] of readings) {
      ledger.update(published === undefined ? [] : [stats('a', { published })], () => h);
      assert.equal(ledger.total('a', 'published'), expected);
    }
  });

  test('a re-created topic that already counted past the old total between readings is still told apart by identity', () => {
    const ledger = new TopicLedger();
    ledger.update([stats('a', { published: 2 })], () => handle('a'));
    ledger.update([stats('a', { published: 10 })], () => handle('a'));
    assert.equal(ledger.total('a', 'published'), 12);
  });

  test('a counter that falls within one instance never makes the total fall', () => {
    const ledger = new TopicLedger();
    const h = handle('a');
    ledger.update([stats('a', { acked: 5 })], () => h);
    ledger.update([stats('a', { acked: 2 })], () => h);
    assert.equal(ledger.total('a', 'acked'), 7);
  });

  test('names are listed in first-seen order and keep their totals after the topic is gone', () => {
    const ledger = new TopicLedger();
    ledger.update([stats('b', { published: 1 }), stats('a', { published: 2 })], handle);
    ledger.update([stats('a', { published: 2 })], handle);
    assert.deepEqual([...ledger.names()], ['b', 'a']);
    assert.equal(ledger.total('b', 'published'), 1);
    assert.equal(ledger.total('never', 'published'), 0);
  });
});

describe('TopicLedger.retire (a deleted instance with its final counters)', () => {
  test('what an instance counted after the last reading is added when it is retired', () => {
    const ledger = new TopicLedger();
    const h = handle('a');
    ledger.update([stats('a', { published: 3 })], () => h);
    ledger.retire('a', h, stats('a', { published: 5, droppedDeleted: 2 }));
    assert.equal(ledger.total('a', 'published'), 5);
    assert.equal(ledger.total('a', 'droppedDeleted'), 2);
    // Later readings without the topic keep the totals.
    ledger.update([], () => undefined);
    assert.equal(ledger.total('a', 'published'), 5);
  });

  test('sequences of readings and retirements keep each instance counted exactly once', () => {
    const first = handle('a');
    const second = handle('a');
    type Step = ['read', TopicHandle, number] | ['retire', TopicHandle, number] | ['gone'];
    // Each row: the steps, then the published total expected at the end.
    const cases: [string, Step[], number][] = [
      ['never read, then retired', [['retire', first, 4]], 4],
      [
        'read, retired, re-created and read',
        [
          ['read', first, 2],
          ['retire', first, 4],
          ['read', second, 1],
        ],
        5,
      ],
      [
        'retired, then both read and retired',
        [
          ['retire', first, 4],
          ['read', second, 1],
          ['retire', second, 3],
        ],
        7,
      ],
      ['read, missing from a reading, retired', [['read', first, 2], ['gone'], ['retire', first, 6]], 6],
      [
        'an earlier instance read but never retired',
        [
          ['read', first, 2],
          ['retire', second, 3],
        ],
        5,
      ],
    ];
    for (const [name, steps, expected] of cases) {
      const ledger = new TopicLedger();
      for (const step of steps) {
        if (step[0] === 'read') ledger.update([stats('a', { published: step[2] })], () => step[1]);
        else if (step[0] === 'retire') ledger.retire('a', step[1], stats('a', { published: step[2] }));
        else ledger.update([], () => undefined);
      }
      assert.equal(ledger.total('a', 'published'), expected, name);
    }
  });

  test('final counters lower than the last reading never make the total fall', () => {
    const ledger = new TopicLedger();
    const h = handle('a');
    ledger.update([stats('a', { delivered: 9 })], () => h);
    ledger.retire('a', h, stats('a', { delivered: 4 }));
    assert.equal(ledger.total('a', 'delivered'), 9);
  });
});
