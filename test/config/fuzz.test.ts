/**
 * RELIABILITY.md P6: mutated configuration files never make the loader throw anything but a
 * ConfigError, and whatever it accepts is a valid configuration.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type BrokerConfig, configToToml, parseConfig, validateConfig } from '../../src/config/index.ts';
import { ConfigError } from '../../src/errors.ts';
import { recordFuzz, SOAK } from '../reliability/helpers/results.ts';
import { EXAMPLE_TEXT } from './helpers.ts';

/** Iterations of each property: the CI tier's, and ten times more in the soak tier. */
const FILE_RUNS = SOAK ? 20_000 : 2000;
const ENV_RUNS = SOAK ? 5000 : 500;

const EXAMPLE_BYTES = Buffer.from(EXAMPLE_TEXT);
const NEWLINE = 0x0a;

/** Fragments worth inserting: TOML punctuation, edge values, keys that trigger cross-key rules. */
const FRAGMENTS = [
  '=',
  '"',
  "'",
  '[',
  ']',
  '\n',
  '#',
  '.',
  '0',
  '-1',
  '1.5',
  'inf',
  'nan',
  '99999999999999999999',
  '1979-05-27T07:32:00Z',
  '"Queue"',
  '[[topics]]\nname = "market_data"\n',
  '[[topics]]\nname = "x.*"\n',
  'ack = "manual"\n',
  'prefetch = 0\n',
  'overflow = "block"\n',
  'slow_consumer = "disconnect"\n',
  'max_message_size = 67108864\n',
  '__proto__ = 1\n',
  'constructor = { a = 1 }\n',
  '[server]\n',
  'topics = 5\n',
  '\u0000',
  '\u00e9',
  '\ufeff',
  'a = [[[[[[[[[[1]]]]]]]]]]\n',
];

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'deleteLine'; line: number }
  | { kind: 'duplicateLine'; line: number }
  | { kind: 'insert'; at: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('deleteLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...FRAGMENTS) }),
);

function lines(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === NEWLINE) {
      out.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}

function mutate(input: Buffer, m: Mutation): Buffer {
  if (input.length === 0) return input;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(input);
      out[m.at % out.length] = m.byte;
      return out;
    }
    case 'truncate':
      return input.subarray(0, m.at % input.length);
    case 'deleteLine': {
      const all = lines(input);
      all.splice(m.line % all.length, 1);
      return Buffer.concat(all);
    }
    case 'duplicateLine': {
      const all = lines(input);
      const at = m.line % all.length;
      all.splice(at, 0, all[at]!);
      return Buffer.concat(all);
    }
    case 'insert': {
      const at = m.at % input.length;
      return Buffer.concat([input.subarray(0, at), Buffer.from(m.text), input.subarray(at)]);
    }
  }
}

/** Loads `bytes`; returns the config, or undefined after checking the error is a proper ConfigError. */
function loadOrRefuse(load: () => BrokerConfig): BrokerConfig | undefined {
  try {
    return load();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `threw a non-ConfigError: ${String(error)}`);
    assert.ok(['CONFIG_PARSE', 'CONFIG_INVALID'].includes(error.code), error.code);
    assert.ok(error.problems.length > 0);
    assert.ok(error.problems.every((p) => typeof p === 'string' && p.length > 0));
    return undefined;
  }
}

/** Whatever the loader accepts must validate again unchanged and survive a print-and-reload. */
function checkAccepted(config: BrokerConfig): void {
  assert.deepEqual(validateConfig(config), config);
  if (config.server.auth_token === undefined) assert.deepEqual(parseConfig(configToToml(config)), config);
}

describe('config fuzz (P6)', () => {
  test('mutated example files are either accepted as valid or refused with a ConfigError', () => {
    recordFuzz('P6', 'mutated config files', FILE_RUNS, FILE_RUNS, () =>
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
          const bytes = mutations.reduce(mutate, EXAMPLE_BYTES);
          const config = loadOrRefuse(() => parseConfig(bytes));
          if (config !== undefined) checkAccepted(config);
        }),
        { numRuns: FILE_RUNS },
      ),
    );
  });

  test('random env overrides are either applied and valid or refused with a ConfigError', () => {
    const names = fc.constantFrom(
      'MYCELIUM_SERVER__PORT',
      'MYCELIUM_SERVER__MAX_FRAME_SIZE',
      'MYCELIUM_SERVER__AUTH_TOKEN',
      'MYCELIUM_SERVER__LOG_LEVEL',
      'MYCELIUM_METRICS__ENABLED',
      'MYCELIUM_TOPICS__EXECUTION__ACK',
      'MYCELIUM_TOPICS__EXECUTION__PREFETCH',
      'MYCELIUM_TOPICS__MARKET_DATA__MAX_MESSAGE_SIZE',
      'MYCELIUM_TOPICS__SIGNALS__ROUTING',
      'MYCELIUM_TOPICS____X',
      'MYCELIUM___',
      'MYCELIUM_SERVER_',
    );
    const values = fc.oneof(
      fc.string(),
      fc.integer().map(String),
      fc.constantFrom('manual', 'Queue', 'true', ''),
    );
    recordFuzz('P6', 'random env overrides', ENV_RUNS, ENV_RUNS, () =>
      fc.assert(
        fc.property(fc.dictionary(names, values), (env) => {
          const config = loadOrRefuse(() => parseConfig(EXAMPLE_TEXT, { env }));
          if (config !== undefined) assert.deepEqual(validateConfig(config), config);
        }),
        { numRuns: ENV_RUNS },
      ),
    );
  });
});
