/**
 * Malformed-input corpus, part 2: the body of each op (docs/protocol.md §3) and topic names
 * (§3.14). Hand-written hex; `|` separates fields. A bad topic is not fatal, so those rows end
 * with a PING to show decoding goes on.
 */
import { type BadCase, PING } from './cases-framing.ts';

const a = (n: number): string => '61'.repeat(n);
const SEQ_2_53 = '0020000000000000';
const SEQ_MAX = '001fffffffffffff';
const U64_MAX = 'ffffffffffffffff';

/** A PUB with confirm id 9, the topic bytes `topic` (hex) and no payload, then a PING. */
function badTopic(rule: string, topic: string): BadCase {
  const n = topic.length / 2;
  const length = (6 + n).toString(16).padStart(8, '0');
  const topicLen = n.toString(16).padStart(2, '0');
  return {
    rule,
    hex: `${length}|10|00000009|${topicLen}|${topic}|${PING}`,
    events: ['!INVALID_TOPIC', 'PING'],
    fatal: false,
  };
}

export const BODY_CASES: readonly BadCase[] = [
  // HELLO (§3.1).
  {
    rule: 'HELLO shorter than 7 is malformed',
    hex: '00000006|01|01|00|0000|00',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'HELLO flags must be 0',
    hex: '00000007|01|01|01|0000|0000',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'a 256-byte client name is accepted',
    hex: `00000107|01|01|00|0100|${a(256)}|0000`,
    events: ['HELLO'],
    fatal: false,
  },
  {
    rule: 'a 257-byte client name is malformed',
    hex: `00000108|01|01|00|0101|${a(257)}|0000`,
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'a 1024-byte token is accepted',
    hex: `00000407|01|01|00|0000|0400|${a(1024)}`,
    events: ['HELLO'],
    fatal: false,
  },
  {
    rule: 'a 1025-byte token is malformed',
    hex: `00000408|01|01|00|0000|0401|${a(1025)}`,
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'HELLO name_len past the body is malformed',
    hex: '00000009|01|01|00|0005|6162|0000',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'HELLO token_len past the body is malformed',
    hex: '00000009|01|01|00|0000|0005|6162',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'HELLO with a byte after the token is malformed',
    hex: '00000008|01|01|00|0000|0000|ff',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'a client name that is not UTF-8 is malformed',
    hex: '00000008|01|01|00|0001|ff|0000',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'an overlong UTF-8 client name is malformed',
    hex: '00000009|01|01|00|0002|c080|0000',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'HELLO with a name and a token is accepted',
    hex: '0000000d|01|01|00|0002|6869|0004|74657374',
    events: ['HELLO'],
    fatal: false,
  },

  // WELCOME (§3.2), decoded by a client.
  ...(
    [
      ['WELCOME flags must be 0', '0000000d|02|01|01|00800000|00002710|0000'],
      ['WELCOME server_name_len past the body is malformed', '0000000e|02|01|00|00800000|00002710|0002|6d'],
      ['WELCOME with a byte after the name is malformed', '0000000e|02|01|00|00800000|00002710|0000|ff'],
      ['WELCOME shorter than 13 is malformed', '0000000c|02|01|00|00800000|00002710|00'],
      ['WELCOME longer than a 256-byte name allows is malformed', '0000010e|02'],
      ['a server name that is not UTF-8 is malformed', '0000000e|02|01|00|00800000|00002710|0001|ff'],
    ] as const
  ).map(([rule, hex]): BadCase => ({ rule, hex, side: 'client', events: ['!MALFORMED_FRAME'], fatal: true })),

  // PUB (§3.3).
  {
    rule: 'PUB shorter than 7 is malformed',
    hex: '00000006|10|00000000|00',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'PUB topic_len 0 is malformed',
    hex: '00000007|10|00000005|00|78',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
    refOp: 0x10,
    ref: 5,
  },
  {
    rule: 'PUB topic_len 129 is malformed',
    hex: `00000087|10|00000000|81|${a(129)}`,
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'PUB topic_len 128 is accepted',
    hex: `00000086|10|00000000|80|${a(128)}`,
    events: ['PUB'],
    fatal: false,
  },
  {
    rule: 'PUB topic_len past the body is malformed',
    hex: '00000008|10|00000000|05|6162',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'PUB with an empty payload is accepted',
    hex: '00000007|10|00000000|01|61',
    events: ['PUB'],
    fatal: false,
  },
  {
    rule: 'PUB with every topic character class is accepted',
    hex: '0000000e|10|00000000|08|417a30395f2d2e78',
    events: ['PUB'],
    fatal: false,
  },
  badTopic('a topic with NUL is invalid', '610062'),
  badTopic('a topic with CR is invalid', '610d62'),
  badTopic('a topic with LF is invalid', '610a62'),
  badTopic('a topic with a tab is invalid', '610962'),
  badTopic('a topic with a space is invalid', '612062'),
  badTopic('a topic with * is reserved', '612e2a'),
  badTopic('a topic with > is reserved', '612e3e'),
  badTopic('a non-ASCII topic is invalid', '61c3a9'),
  badTopic('a topic with an empty part is invalid', '612e2e62'),
  badTopic('a one-byte topic of a dot is invalid', '2e'),
  badTopic('a topic with a leading dot is invalid', '2e6162'),
  badTopic('a topic with a trailing dot is invalid', '61622e'),
  badTopic('a topic of dots is invalid', '2e2e2e'),
  badTopic('a topic with / is invalid', '612f62'),
  badTopic('a topic with DEL is invalid', '617f62'),
  badTopic('a topic with $ is invalid', '246162'),
  {
    rule: 'an invalid topic error points at the PUB and its confirm id',
    hex: '00000007|10|00000009|01|2a',
    events: ['!INVALID_TOPIC'],
    fatal: false,
    refOp: 0x10,
    ref: 9,
  },
  {
    rule: 'two invalid topics in a row are both reported',
    hex: `00000007|10|00000001|01|2a|00000007|10|00000002|01|2e|${PING}`,
    events: ['!INVALID_TOPIC', '!INVALID_TOPIC', 'PING'],
    fatal: false,
  },

  // SUB (§3.4).
  {
    rule: 'SUB sid 0 is malformed',
    hex: '00000010|11|00000000|00|0000000000000000|01|61',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'SUB start_kind 3 is malformed',
    hex: '00000010|11|00000001|03|0000000000000000|01|61',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
    refOp: 0x11,
    ref: 1,
  },
  {
    rule: 'SUB start_value 2^53 is malformed',
    hex: `00000010|11|00000001|01|${SEQ_2_53}|01|61`,
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'SUB start_value 2^64-1 is malformed',
    hex: `00000010|11|00000001|01|${U64_MAX}|01|61`,
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'SUB start_value 2^53-1 is accepted',
    hex: `00000010|11|00000001|01|${SEQ_MAX}|01|61`,
    events: ['SUB'],
    fatal: false,
  },
  {
    rule: 'SUB start_kind 0 needs start_value 0',
    hex: '00000010|11|00000001|00|0000000000000001|01|61',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'SUB last-N is accepted',
    hex: '00000010|11|00000001|02|0000000000000005|01|61',
    events: ['SUB'],
    fatal: false,
  },
  {
    rule: 'SUB without a topic is malformed',
    hex: '0000000f|11|00000001|00|0000000000000000|00',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'SUB topic_len 129 is malformed',
    hex: '00000010|11|00000001|00|0000000000000000|81|61',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'SUB topic_len past the body is malformed',
    hex: '00000010|11|00000001|00|0000000000000000|02|61',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'SUB with a byte after the topic is malformed',
    hex: '00000011|11|00000001|00|0000000000000000|01|61|ff',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'SUB longer than a 128-byte topic allows is malformed',
    hex: '00000090|11',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'SUB with a wildcard topic is an invalid topic pointing at the sid',
    hex: `00000010|11|00000007|00|0000000000000000|01|2a|${PING}`,
    events: ['!INVALID_TOPIC', 'PING'],
    fatal: false,
    refOp: 0x11,
    ref: 7,
  },
  {
    rule: 'SUB to a.> is an invalid topic',
    hex: `00000012|11|00000001|00|0000000000000000|03|612e3e|${PING}`,
    events: ['!INVALID_TOPIC', 'PING'],
    fatal: false,
  },

  // UNSUB, ACK, PING, PONG (§3.5-§3.7).
  {
    rule: 'UNSUB sid 0 is malformed',
    hex: '00000005|12|00000000',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
    refOp: 0x12,
  },
  {
    rule: 'UNSUB with a trailing byte is malformed',
    hex: '00000006|12|00000001|ff',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'UNSUB one byte short is malformed',
    hex: '00000004|12|000000',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'ACK sid 0 is malformed',
    hex: '0000000d|13|00000000|0000000000000001',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'ACK seq 2^53 is malformed',
    hex: `0000000d|13|00000001|${SEQ_2_53}`,
    events: ['!MALFORMED_FRAME'],
    fatal: true,
    ref: 1,
  },
  {
    rule: 'ACK seq 2^64-1 is malformed',
    hex: `0000000d|13|00000001|${U64_MAX}`,
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'ACK seq 2^53-1 is accepted',
    hex: `0000000d|13|00000001|${SEQ_MAX}`,
    events: ['ACK'],
    fatal: false,
  },
  {
    rule: 'ACK with a trailing byte is malformed',
    hex: '0000000e|13|00000001|0000000000000001|ff',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  { rule: 'PING with a body is malformed', hex: '00000002|20|00', events: ['!MALFORMED_FRAME'], fatal: true },
  { rule: 'PONG with a body is malformed', hex: '00000002|21|00', events: ['!MALFORMED_FRAME'], fatal: true },
  { rule: 'PONG is accepted', hex: '00000001|21', events: ['PONG'], fatal: false },

  // RELOAD (§3.15): a request id and nothing else.
  { rule: 'RELOAD is accepted', hex: '00000005|40|00000007', events: ['RELOAD'], fatal: false },
  {
    rule: 'RELOAD with request id 0 is accepted',
    hex: '00000005|40|00000000',
    events: ['RELOAD'],
    fatal: false,
  },
  {
    rule: 'RELOAD one byte short is malformed',
    hex: '00000004|40|000000',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
    refOp: 0x40,
  },
  {
    rule: 'RELOAD with a trailing byte is malformed',
    hex: '00000006|40|00000001|ff',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },

  // Server → client ops (§3.8-§3.13), decoded by a client.
  ...(
    [
      ['MSG sid 0 is malformed', '00000010|30|00000000|0000000000000001|00|0001'],
      ['MSG seq 2^53 is malformed', `00000010|30|00000001|${SEQ_2_53}|00|0001`],
      ['MSG flag bit 1 is undefined', '00000010|30|00000001|0000000000000001|02|0001'],
      ['MSG flag bit 7 is undefined', '00000010|30|00000001|0000000000000001|80|0001'],
      ['MSG shorter than 16 is malformed', '0000000f|30|00000001|0000000000000001|00|00'],
      ['SUB_ACK next_seq 2^53 is malformed', `0000000d|31|00000001|${SEQ_2_53}`],
      ['SUB_ACK with a trailing byte is malformed', '0000000e|31|00000001|0000000000000001|ff'],
      ['SUB_ACK sid 0 is malformed', '0000000d|31|00000000|0000000000000001'],
      ['UNSUB_ACK sid 0 is malformed', '00000005|32|00000000'],
      ['PUBACK confirm_id 0 is malformed', '0000000d|33|00000000|0000000000000001'],
      ['PUBACK seq 2^53 is malformed', `0000000d|33|00000001|${SEQ_2_53}`],
      ['LAGGED from_seq 2^53 is malformed', `00000015|34|00000001|${SEQ_2_53}|0000000000000001`],
      ['LAGGED count 2^53 is malformed', `00000015|34|00000001|0000000000000001|${SEQ_2_53}`],
      ['LAGGED one byte short is malformed', '00000014|34|00000001|0000000000000001|00000000000000'],
      ['ERR text_len past the body is malformed', '0000000c|35|00c8|10|00000007|0005|6162'],
      ['ERR with a byte after the text is malformed', '0000000b|35|00c8|10|00000007|0000|ff'],
      ['ERR text that is not UTF-8 is malformed', '0000000b|35|00c8|10|00000007|0001|ff'],
      ['ERR longer than 1024 bytes of text allows is malformed', '0000040b|35'],
      ['ERR shorter than 10 is malformed', '00000009|35|00c8|10|00000007|00'],
      ['RELOAD_RESULT status 3 is malformed', '0000000a|41|00000001|03|0000|0000'],
      ['RELOAD_RESULT rejected without a code is malformed', '0000000a|41|00000001|02|0000|0000'],
      ['RELOAD_RESULT applied with a code is malformed', '0000000a|41|00000001|00|012f|0000'],
      ['RELOAD_RESULT text_len past the body is malformed', '0000000c|41|00000001|00|0000|0005|6162'],
      ['RELOAD_RESULT with a byte after the text is malformed', '0000000b|41|00000001|00|0000|0000|ff'],
      ['RELOAD_RESULT text that is not UTF-8 is malformed', '0000000b|41|00000001|00|0000|0001|ff'],
      ['RELOAD_RESULT shorter than 10 is malformed', '00000009|41|00000001|00|0000|00'],
      ['RELOAD_RESULT longer than 4000 bytes of text allows is malformed', '00000fab|41'],
    ] as const
  ).map(([rule, hex]): BadCase => ({ rule, hex, side: 'client', events: ['!MALFORMED_FRAME'], fatal: true })),
  ...(
    [
      ['MSG with an empty payload is accepted', '00000010|30|00000001|0000000000000001|00|0001', 'MSG'],
      ['a redelivered MSG is accepted', '00000011|30|00000001|0000000000000001|01|0003|78', 'MSG'],
      ['MSG seq 2^53-1 is accepted', `00000010|30|00000001|${SEQ_MAX}|00|0001`, 'MSG'],
      ['ERR with 1024 bytes of text is accepted', `0000040a|35|00c8|00|00000000|0400|${a(1024)}`, 'ERR'],
      ['ERR with a code this version does not know is accepted', '0000000a|35|270f|00|00000000|0000', 'ERR'],
      [
        'RELOAD_RESULT applied with an empty report is accepted',
        '0000000a|41|00000001|00|0000|0000',
        'RELOAD_RESULT',
      ],
      [
        'RELOAD_RESULT rejected with a code and text is accepted',
        '0000000c|41|ffffffff|02|012f|0002|6e6f',
        'RELOAD_RESULT',
      ],
      [
        'RELOAD_RESULT with 4000 bytes of text is accepted',
        `00000faa|41|00000001|01|0000|0fa0|${a(4000)}`,
        'RELOAD_RESULT',
      ],
    ] as const
  ).map(([rule, hex, op]): BadCase => ({ rule, hex, side: 'client', events: [op], fatal: false })),
];
