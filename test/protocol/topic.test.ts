/**
 * The topic name rule on bytes (docs/protocol.md §3.14), as tables, plus agreement with the
 * broker's string check so the wire and the config accept exactly the same names.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { topicNameProblem } from '../../src/broker/topic-name.ts';
import { encodeTopic, MAX_TOPIC_LENGTH, topicBytesProblem } from '../../src/protocol/index.ts';

const VALID = [
  'a',
  'A',
  '0',
  '_',
  '-',
  'orders',
  'market_data.eu-west.v2',
  'a.b.c',
  'x'.repeat(MAX_TOPIC_LENGTH),
  '-._',
];

/** Invalid names and a fragment the message must contain, so it says which rule was broken. */
const INVALID: ReadonlyArray<readonly [string, string]> = [
  ['', '1 to 128'],
  ['x'.repeat(MAX_TOPIC_LENGTH + 1), '1 to 128'],
  ['.a', 'empty part'],
  ['a.', 'empty part'],
  ['a..b', 'empty part'],
  ['.', 'empty part'],
  ['a.*', 'reserved for wildcard'],
  ['>', 'reserved for wildcard'],
  ['a b', "' '"],
  ['a/b', "'/'"],
  ['a\u0000b', 'byte 0x00'],
  ['a\rb', 'byte 0x0d'],
  ['a\nb', 'byte 0x0a'],
  ['a\u007fb', 'byte 0x7f'],
  ['$SYS', "'$'"],
  ['a:b', "':'"],
];

describe('topic names on the wire (§3.14)', () => {
  for (const name of VALID) {
    test(`accepts ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}...(${name.length})` : name)}`, () => {
      const bytes = Buffer.from(name, 'latin1');
      assert.equal(topicBytesProblem(bytes, 0, bytes.length), undefined);
      assert.deepEqual(encodeTopic(name), bytes);
    });
  }
  for (const [name, says] of INVALID) {
    test(`refuses ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}...(${name.length})` : name)} saying "${says}"`, () => {
      const bytes = Buffer.from(name, 'latin1');
      const problem = topicBytesProblem(bytes, 0, bytes.length);
      assert.ok(problem?.includes(says), `${problem}`);
      assert.throws(() => encodeTopic(name), { code: 'INVALID_TOPIC' });
    });
  }

  test('a non-ASCII name is refused by encodeTopic naming the character', () => {
    assert.throws(() => encodeTopic('caf\u00e9'), { code: 'INVALID_TOPIC', message: /U\+00E9/ });
    const bytes = Buffer.from('caf\u00e9', 'utf8');
    assert.match(topicBytesProblem(bytes, 0, bytes.length) ?? '', /byte 0xc3 at 3/);
  });

  test('checks only the given range of a larger buffer', () => {
    const buf = Buffer.from('**orders.eu**');
    assert.equal(topicBytesProblem(buf, 2, 9), undefined);
    assert.match(topicBytesProblem(buf, 1, 9) ?? '', /reserved/);
  });

  test('the message shows unprintable bytes escaped', () => {
    const bytes = Buffer.from([0x61, 0x0a, 0x22]);
    assert.equal(
      topicBytesProblem(bytes, 0, 3),
      'topic "a\\x0a\\x22" contains byte 0x0a at 1; allowed are A-Z a-z 0-9 _ - .',
    );
  });

  test('accepts exactly the names the broker accepts (property)', () => {
    const char = fc.constantFrom(...'ab.-_*> Z9é\u0000'.split(''));
    const name = fc.oneof(fc.string({ unit: char, maxLength: 12 }), fc.string({ maxLength: 140 }));
    fc.assert(
      fc.property(name, (n) => {
        const wire = (() => {
          try {
            encodeTopic(n);
            return true;
          } catch {
            return false;
          }
        })();
        assert.equal(wire, topicNameProblem(n) === undefined, JSON.stringify(n));
      }),
      { numRuns: 5000 },
    );
  });
});
