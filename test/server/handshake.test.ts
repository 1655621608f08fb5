import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  encodeHello,
  encodePing,
  encodePub,
  encodeSub,
  type Frame,
  Op,
  PROTOCOL_VERSION,
  StartKind,
} from '../../src/protocol/index.ts';
import { errFields, RawClient } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const TOKEN = 's3cret-token';

describe('handshake', () => {
  let h: TestServer;
  before(async () => {
    h = await startTestServer({
      server: { connection_timeout_ms: 200, auth_token: TOKEN },
      topics: [{ name: 'guarded', routing: 'Fanout' }],
    });
  });
  after(() => h.stop());

  test('a client that sends nothing is closed with HANDSHAKE_TIMEOUT', async () => {
    const c = await RawClient.connect(h.unix);
    const frames = await c.untilClosed();
    assert.deepEqual(frames.map(errFields), [{ code: 'HANDSHAKE_TIMEOUT', refOp: 0, ref: 0 }]);
    await h.closesWhere((i) => i.reason === 'HANDSHAKE_TIMEOUT');
  });

  test('the handshake deadline is absolute: dribbling bytes of a HELLO does not extend it', async (t) => {
    const c = await RawClient.connect(h.unix);
    const hello = encodeHello('dribbler');
    let i = 0;
    const timer = setInterval(() => {
      if (i < hello.length - 1) c.send(hello.subarray(i, ++i));
    }, 40);
    t.after(() => clearInterval(timer));
    const frames = await c.untilClosed();
    clearInterval(timer);
    assert.deepEqual(frames.map(errFields), [{ code: 'HANDSHAKE_TIMEOUT', refOp: 0, ref: 0 }]);
  });

  const beforeHello: [string, Uint8Array][] = [
    ['PUB', encodePub('guarded', Buffer.from('x'), 1)],
    ['SUB', encodeSub(1, 'guarded', StartKind.New, 0)],
    ['PING', encodePing()],
  ];
  for (const [name, frame] of beforeHello) {
    test(`${name} before HELLO is HANDSHAKE_REQUIRED and nothing of it is processed, even with HELLO pipelined after`, async () => {
      const published = h.server.broker.topicStats('guarded').published;
      const c = await RawClient.connect(h.unix);
      c.send(frame, encodeHello('late'));
      const frames = await c.untilClosed();
      assert.equal(frames.length, 1);
      assert.equal(errFields(frames[0]!).code, 'HANDSHAKE_REQUIRED');
      assert.equal(h.server.broker.topicStats('guarded').published, published);
      assert.equal(h.server.broker.topicStats('guarded').subscribers, 0);
    });
  }

  test('a HELLO with another protocol version is UNSUPPORTED_VERSION', async () => {
    const c = await RawClient.connect(h.unix);
    c.send(encodeHello('future', '', PROTOCOL_VERSION + 1));
    const frames = await c.untilClosed();
    assert.equal(errFields(frames[0]!).code, 'UNSUPPORTED_VERSION');
  });

  test('a second HELLO is UNEXPECTED_HANDSHAKE and closes the connection', async () => {
    const c = await h.client('twice');
    c.send(encodeHello('twice-again'));
    const frames = await c.untilClosed();
    assert.deepEqual(frames.map(errFields), [{ code: 'UNEXPECTED_HANDSHAKE', refOp: Op.HELLO, ref: 0 }]);
    assert.equal((await h.closeOf('twice')).reason, 'UNEXPECTED_HANDSHAKE');
  });
});

describe('auth token', () => {
  let h: TestServer;
  before(async () => {
    h = await startTestServer({
      server: { auth_token: TOKEN },
      topics: [{ name: 'guarded', routing: 'Fanout' }],
    });
  });
  after(() => h.stop());

  test('the right token on TCP completes the handshake', async () => {
    const c = await RawClient.connect(h.tcp);
    c.send(encodeHello('good', TOKEN), encodePing());
    assert.equal((await c.next()).op, 'WELCOME');
    assert.deepEqual(await c.next(), { op: 'PONG' });
    c.destroy();
  });

  test('no token is needed on the Unix socket (trusted by file mode)', async () => {
    const c = await RawClient.connect(h.unix);
    c.send(encodeHello('local'));
    assert.equal((await c.next()).op, 'WELCOME');
    c.destroy();
  });

  test('every wrong or missing token on TCP gets the same AUTH_FAILED frame, and nothing pipelined runs', async () => {
    const bad = [
      '',
      'wrong',
      TOKEN.slice(0, -1),
      `${TOKEN}x`,
      TOKEN.toUpperCase(),
      'x'.repeat(1024),
      `${TOKEN}\0`,
    ];
    const answers: Frame[][] = [];
    for (const token of bad) {
      const c = await RawClient.connect(h.tcp);
      c.send(encodeHello('intruder', token), encodeSub(1, 'guarded', StartKind.New, 0));
      answers.push(await c.untilClosed());
    }
    for (const frames of answers) assert.deepEqual(frames, answers[0], 'identical error frames');
    assert.deepEqual(answers[0]!.map(errFields), [{ code: 'AUTH_FAILED', refOp: 0, ref: 0 }]);
    assert.equal(h.server.broker.topicStats('guarded').subscribers, 0);
    const closed = await h.closesWhere((i) => i.transport === 'tcp' && !i.established, bad.length);
    assert.ok(closed.every((i) => i.reason === 'AUTH_FAILED'));
  });
});
