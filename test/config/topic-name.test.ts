import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_TOPIC_NAME_LENGTH, validateTopicName } from '../../src/config/index.ts';

const VALID = [
  'a',
  'market_data',
  'market-data.eu.v2',
  'A.B.C',
  '0',
  '_._',
  '-',
  'x'.repeat(MAX_TOPIC_NAME_LENGTH),
];

// [name, the exact problem]
const INVALID: [string, string][] = [
  ['', 'must not be empty'],
  [
    'x'.repeat(MAX_TOPIC_NAME_LENGTH + 1),
    `must be at most ${MAX_TOPIC_NAME_LENGTH} characters long (got 129)`,
  ],
  ['market data', 'must not contain U+0020 (allowed: A-Z a-z 0-9 _ - .)'],
  ['a/b', 'must not contain "/" (U+002F) (allowed: A-Z a-z 0-9 _ - .)'],
  ['café', 'must not contain U+00E9 (allowed: A-Z a-z 0-9 _ - .)'],
  ['tab\there', 'must not contain U+0009 (allowed: A-Z a-z 0-9 _ - .)'],
  ['nul\u0000', 'must not contain U+0000 (allowed: A-Z a-z 0-9 _ - .)'],
  ['emoji\u{1F600}', 'must not contain U+1F600 (allowed: A-Z a-z 0-9 _ - .)'],
  [
    'market.*',
    'must not contain "*": "*" and ">" are reserved for wildcard subscriptions (allowed: A-Z a-z 0-9 _ - .)',
  ],
  [
    'market.>',
    'must not contain ">": "*" and ">" are reserved for wildcard subscriptions (allowed: A-Z a-z 0-9 _ - .)',
  ],
  ['.leading', 'must not have an empty dot-separated part (no leading, trailing or double dot)'],
  ['trailing.', 'must not have an empty dot-separated part (no leading, trailing or double dot)'],
  ['double..dot', 'must not have an empty dot-separated part (no leading, trailing or double dot)'],
  ['.', 'must not have an empty dot-separated part (no leading, trailing or double dot)'],
];

describe('validateTopicName', () => {
  for (const name of VALID) {
    test(`accepts ${JSON.stringify(name.length > 20 ? `${name.slice(0, 20)}...` : name)}`, () => {
      assert.equal(validateTopicName(name), undefined);
    });
  }
  for (const [name, problem] of INVALID) {
    test(`refuses ${JSON.stringify(name.slice(0, 20))}: ${problem}`, () => {
      assert.equal(validateTopicName(name), problem);
    });
  }

  test('never echoes the name, so a huge name cannot flood a message', () => {
    const huge = `${'x'.repeat(10_000)} `;
    assert.ok((validateTopicName(huge) ?? '').length < 100);
  });
});
