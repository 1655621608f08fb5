import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Broker,
  isValidTopicName,
  MAX_TOPIC_NAME_LENGTH,
  Routing,
  topicNameProblem,
} from '../../src/broker/index.ts';
import { throwsCode } from './helpers.ts';

const VALID = [
  'a',
  'market_data',
  'market-data.eu.v2',
  'A.B.C',
  '0',
  '_._',
  'x'.repeat(MAX_TOPIC_NAME_LENGTH),
];

// [name, fragment the problem must mention]
const INVALID: [string, string][] = [
  ['', 'empty'],
  ['x'.repeat(MAX_TOPIC_NAME_LENGTH + 1), `(got ${MAX_TOPIC_NAME_LENGTH + 1})`],
  ['market data', 'U+0020'],
  ['a/b', '"/" (U+002F)'],
  ['caf\u00e9', 'U+00E9'],
  ['tab\there', 'U+0009'],
  ['esc\u001b[31m', 'U+001B'],
  ['market.*', 'reserved for wildcard'],
  ['market.>', 'reserved for wildcard'],
  ['*', 'reserved for wildcard'],
  ['.market', 'empty dot-separated part'],
  ['market.', 'empty dot-separated part'],
  ['market..data', 'empty dot-separated part'],
  ['.', 'empty dot-separated part'],
];

describe('topic name rule', () => {
  test('names of 1..128 characters of A-Z a-z 0-9 _ - . with no empty part are valid', () => {
    for (const name of VALID) {
      assert.equal(topicNameProblem(name), undefined, name);
      assert.equal(isValidTopicName(name), true, name);
    }
  });

  test('every invalid name is refused with a problem that says why, without echoing raw bytes', () => {
    for (const [name, fragment] of INVALID) {
      const problem = topicNameProblem(name);
      assert.ok(problem?.includes(fragment), `${JSON.stringify(name)}: ${problem}`);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
      assert.doesNotMatch(problem ?? '', /[\u0000-\u001f]/);
      assert.equal(isValidTopicName(name), false, name);
    }
  });

  test('createTopic refuses an invalid name with INVALID_TOPIC and creates nothing', () => {
    const broker = new Broker();
    for (const [name] of INVALID) {
      throwsCode(() => broker.createTopic(name, { routing: Routing.Fanout }), 'INVALID_TOPIC');
    }
    assert.deepEqual(broker.topicNames(), []);
  });
});
