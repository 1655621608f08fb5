/**
 * Every integer limit is accepted at its bound and refused one past it (N and N+1), generated from
 * the key catalog so a new key is covered without touching this file. Byte and character limits
 * of string keys follow.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CONFIG_KEYS,
  type ConfigKey,
  MAX_AUTH_TOKEN_BYTES,
  MAX_FRAME_SIZE_LIMIT,
  MAX_SOCKET_PATH_BYTES,
  MAX_TOPIC_NAME_LENGTH,
  parseConfig,
} from '../../src/config/index.ts';
import { configError, problemStartingWith } from './helpers.ts';

/** TOML that sets `key` to `value`; topic keys go on a Queue topic with manual acks (so prefetch applies). */
function withValue(key: ConfigKey, value: string): string {
  if (key.section !== 'topics') return `[${key.section}]\n${key.key} = ${value}\n`;
  return [
    '[server]',
    `max_frame_size = ${MAX_FRAME_SIZE_LIMIT}`,
    '[[topics]]',
    'name = "t"',
    'routing = "Queue"',
    'ack = "manual"',
    `${key.key} = ${value}`,
  ].join('\n');
}

function pathOf(key: ConfigKey): string {
  return key.section === 'topics' ? `topics[0].${key.key}` : key.path;
}

function read(config: unknown, key: ConfigKey): unknown {
  const root = config as Record<string, Record<string, unknown> & Record<number, Record<string, unknown>>>;
  return key.section === 'topics' ? root.topics?.[0]?.[key.key] : root[key.section]?.[key.key];
}

const INTEGER_KEYS = CONFIG_KEYS.filter((k) => k.type === 'integer');

describe('integer limits hold at N and break at N+1', () => {
  test('the catalog has integer keys to check', () => {
    assert.ok(INTEGER_KEYS.length >= 15, String(INTEGER_KEYS.length));
  });

  for (const key of INTEGER_KEYS) {
    const min = key.min ?? 0;
    const max = key.max ?? Number.MAX_SAFE_INTEGER;
    test(`${key.path} accepts ${min} and refuses ${min - 1}`, () => {
      assert.equal(read(parseConfig(withValue(key, String(min))), key), min);
      const error = configError(() => parseConfig(withValue(key, String(min - 1))), 'CONFIG_INVALID');
      problemStartingWith(error.problems, `${pathOf(key)}: `);
    });
    test(`${key.path} accepts ${max} and refuses ${max + 1}`, () => {
      assert.equal(read(parseConfig(withValue(key, String(max))), key), max);
      // max + 1 is written as text: past 2^53 a JS number cannot hold it exactly.
      const next = (BigInt(max) + 1n).toString();
      const error = configError(() => parseConfig(withValue(key, next)), 'CONFIG_INVALID');
      problemStartingWith(error.problems, `${pathOf(key)}: `);
    });
  }
});

describe('string limits hold at N and break at N+1', () => {
  // [what, TOML at the limit, TOML one past it, key path]
  const socketPath = (bytes: number) => `/tmp/${'s'.repeat(bytes - 5)}`;
  const CASES: [string, string, string, string][] = [
    [
      `socket_path is at most ${MAX_SOCKET_PATH_BYTES} bytes`,
      `[server]\nsocket_path = "${socketPath(MAX_SOCKET_PATH_BYTES)}"`,
      `[server]\nsocket_path = "${socketPath(MAX_SOCKET_PATH_BYTES + 1)}"`,
      'server.socket_path',
    ],
    [
      'socket_path counts bytes, not characters',
      // "é" is two bytes: 51 of them after "/tmp/" make 107 bytes in 56 characters.
      `[server]\nsocket_path = "/tmp/${'é'.repeat(51)}"`,
      `[server]\nsocket_path = "/tmp/${'é'.repeat(51)}s"`,
      'server.socket_path',
    ],
    [
      `auth_token is at most ${MAX_AUTH_TOKEN_BYTES} bytes`,
      `[server]\nauth_token = "${'k'.repeat(MAX_AUTH_TOKEN_BYTES)}"`,
      `[server]\nauth_token = "${'k'.repeat(MAX_AUTH_TOKEN_BYTES + 1)}"`,
      'server.auth_token',
    ],
    [
      `a topic name is at most ${MAX_TOPIC_NAME_LENGTH} characters`,
      `[[topics]]\nname = "${'n'.repeat(MAX_TOPIC_NAME_LENGTH)}"`,
      `[[topics]]\nname = "${'n'.repeat(MAX_TOPIC_NAME_LENGTH + 1)}"`,
      'topics[0].name',
    ],
  ];
  for (const [what, atLimit, pastLimit, path] of CASES) {
    test(what, () => {
      parseConfig(atLimit);
      const error = configError(() => parseConfig(pastLimit), 'CONFIG_INVALID');
      problemStartingWith(error.problems, `${path}: `);
    });
  }

  test('max_frame_size may equal the largest max_message_size plus 1024, not one byte less', () => {
    const toml = (frame: number) =>
      `[server]\nmax_frame_size = ${frame}\n[[topics]]\nname = "t"\nmax_message_size = 65536`;
    assert.equal(parseConfig(toml(65536 + 1024)).server.max_frame_size, 66560);
    const error = configError(() => parseConfig(toml(65536 + 1023)), 'CONFIG_INVALID');
    problemStartingWith(error.problems, 'server.max_frame_size: must be at least 66560');
  });
});
