/** Reload reports as text: the summary line per outcome, and cutting a long report to fit a frame. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fitReport, formatReport, type ReloadReport } from '../../src/server/index.ts';

const BASE: ReloadReport = {
  outcome: 'applied',
  trigger: 'SIGHUP',
  source: '/etc/mycelium/broker.toml',
  changes: [],
  effects: [],
  removedTopics: [],
  problems: [],
};

describe('formatReport', () => {
  const CASES: ReadonlyArray<readonly [string, ReloadReport, string]> = [
    [
      'applied: the count of changes, then changes and effects',
      { ...BASE, changes: ['server.max_connections: 1000 -> 5', 'topic "x": removed'], effects: ['e'] },
      'reload applied (SIGHUP): 2 changes from /etc/mycelium/broker.toml\n  server.max_connections: 1000 -> 5\n  topic "x": removed\n  e',
    ],
    [
      'unchanged: one line',
      { ...BASE, outcome: 'unchanged' },
      'reload unchanged (SIGHUP): /etc/mycelium/broker.toml holds the running configuration',
    ],
    [
      'rejected: the code, then the problems',
      { ...BASE, outcome: 'rejected', code: 'CONFIG_NOT_RELOADABLE', problems: ['p1', 'p2'] },
      'reload rejected (SIGHUP, CONFIG_NOT_RELOADABLE): the running configuration is unchanged\n  p1\n  p2',
    ],
  ];
  for (const [rule, report, text] of CASES) test(rule, () => assert.equal(formatReport(report), text));
});

describe('fitReport', () => {
  const detail = (n: number): string => `  topic "t${n}": added (Fanout), a line long enough to matter`;
  const text = ['summary', detail(1), detail(2), detail(3)].join('\n');

  test('text that fits is returned whole', () => {
    assert.equal(fitReport(text, Buffer.byteLength(text)), text);
  });

  test('one byte too long drops whole lines and says how many', () => {
    const cut = fitReport(text, Buffer.byteLength(text) - 1);
    assert.equal(cut, `summary\n${detail(1)}\n${detail(2)}\n  ... 1 more line in the server log`);
    const shorter = fitReport(text, Buffer.byteLength(text) - detail(3).length - 2);
    assert.equal(shorter, `summary\n${detail(1)}\n  ... 2 more lines in the server log`);
  });

  test('when not even the summary fits with that line, the summary alone is cut at a character boundary', () => {
    assert.equal(fitReport(`${'é'.repeat(10)}\n  x`, 5), 'éé');
    assert.equal(fitReport(text, 20), 'summary');
  });
});
