/**
 * The start-up warning when the open-files limit cannot hold max_connections: connections the
 * kernel refuses with EMFILE never reach the server, so this warning is the only trace of them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openFilesLimit, openFilesWarning, RESERVED_DESCRIPTORS } from '../../src/server/open-files.ts';

const LIMITS = (soft: string): string =>
  [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max processes             127364               127364               processes ',
    `Max open files            ${soft.padEnd(20)} 1048576              files     `,
    'Max locked memory         8388608              8388608              bytes     ',
  ].join('\n');

describe('open-files limit', () => {
  const parsed: [string, string, number | undefined][] = [
    ['a number', LIMITS('1024'), 1024],
    ['unlimited', LIMITS('unlimited'), Number.POSITIVE_INFINITY],
    ['a garbled value', LIMITS('lots'), undefined],
    ['no such line', 'Limit  Soft Limit\nMax processes  10  10  processes', undefined],
    ['an empty file', '', undefined],
  ];
  for (const [name, text, want] of parsed) {
    test(`reads the soft limit from /proc/self/limits text: ${name}`, () => {
      assert.equal(openFilesLimit(text), want);
    });
  }

  test("this process's own limit is read as a positive number", () => {
    const limit = openFilesLimit();
    assert.ok(limit === undefined || limit > 0, String(limit));
  });

  const warned: [number, number | undefined, boolean][] = [
    [900, 1024, false],
    [1000, 1000 + RESERVED_DESCRIPTORS, false],
    [1000, 1000 + RESERVED_DESCRIPTORS - 1, true],
    [1000, 256, true],
    [10_000, Number.POSITIVE_INFINITY, false],
    [10_000, undefined, false],
  ];
  for (const [max, limit, warns] of warned) {
    test(`max_connections ${max} under a limit of ${limit}: ${warns ? 'warned' : 'no warning'}`, () => {
      const text = openFilesWarning(max, limit);
      assert.equal(text !== undefined, warns);
      if (text !== undefined) {
        assert.match(text, new RegExp(`max_connections is ${max} but the open-files limit is ${limit}`));
        assert.match(text, new RegExp(`ulimit -n ${max + RESERVED_DESCRIPTORS}`));
      }
    });
  }
});
