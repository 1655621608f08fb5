import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, MyceliumError, ServerError } from '../../src/client/index.ts';
import { encodeErr, encodePing, encodeWelcome, Op } from '../../src/protocol/index.ts';
import { ScriptedServer } from './helpers/scripted-server.ts';

describe('client handshake and heartbeat (scripted server)', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await ScriptedServer.start();
  });
  after(() => server.close());

  it('HELLO carries the name and token; WELCOME completes connect() and is reported', async (t) => {
    const connecting = connect(server.url, { name: 'svc-a', token: 's3cret', reconnect: false });
    const peer = await server.accept();
    const hello = await peer.expect('HELLO');
    assert.equal(hello.version, 1);
    assert.equal(hello.name, 'svc-a');
    assert.equal(hello.token.toString(), 's3cret');
    peer.send(encodeWelcome(4096, 5000, 'node-1'));
    const client = await connecting;
    t.after(() => client.close());
    assert.deepEqual(client.server, { name: 'node-1', maxFrameSize: 4096, heartbeatIntervalMs: 5000 });
    assert.equal(client.connected, true);
  });

  it('an ERR before WELCOME rejects connect() with that ServerError', async () => {
    const connecting = connect(server.url, { reconnect: false });
    const peer = await server.accept();
    await peer.expect('HELLO');
    peer.send(encodeErr('AUTH_FAILED', Op.HELLO, 0, 'bad token'));
    peer.socket.end();
    await assert.rejects(connecting, (err: unknown) => {
      return err instanceof ServerError && err.code === 'AUTH_FAILED' && err.message === 'bad token';
    });
  });

  it('a server that never answers HELLO fails connect() with TIMEOUT', async () => {
    const connecting = connect(server.url, { connectTimeoutMs: 30, reconnect: false });
    const peer = await server.accept();
    await peer.expect('HELLO');
    await assert.rejects(connecting, { code: 'TIMEOUT' });
    await peer.closed;
  });

  it('nothing listening fails connect() with CONNECTION_CLOSED carrying the socket error', async () => {
    const nowhere = join(mkdtempSync(join(tmpdir(), 'myc-none-')), 'absent.sock');
    await assert.rejects(connect(`unix://${nowhere}`), (err: unknown) => {
      return err instanceof MyceliumError && err.code === 'CONNECTION_CLOSED' && err.cause instanceof Error;
    });
  });

  it('the client answers the server PING with PONG', async (t) => {
    const connecting = connect(server.url, { reconnect: false });
    const peer = await server.accept();
    await peer.welcome();
    const client = await connecting;
    t.after(() => client.close());
    peer.send(encodePing());
    await peer.expect('PONG');
  });

  it('a server silent for maxPingsOut intervals is dropped as HEARTBEAT_TIMEOUT and the client reconnects', async (t) => {
    const connecting = connect(server.url, { pingIntervalMs: 20, maxPingsOut: 2, reconnectDelayMs: 1 });
    const first = await server.accept();
    await first.welcome();
    const client = await connecting;
    // It reconnects: left open by a failed assertion, it would keep the file running.
    t.after(() => client.close());
    const disconnected = once(client, 'disconnect');
    await first.expect('PING');
    await first.expect('PING');
    const [error] = (await disconnected) as [MyceliumError];
    assert.equal(error.code, 'HEARTBEAT_TIMEOUT');
    await first.closed;
    const second = await server.accept();
    const reconnected = once(client, 'reconnect');
    await second.welcome();
    await reconnected;
    assert.equal(client.stats.reconnects, 1);
  });

  it('a publish whose frame exceeds the server max_frame_size is refused before sending', async (t) => {
    const connecting = connect(server.url, { reconnect: false });
    const peer = await server.accept();
    await peer.welcome(100);
    const client = await connecting;
    t.after(() => client.close());
    // PUB frame length = 6 + topic + payload: 6 + 1 + 93 = 100 fits, 101 does not.
    client.publish('t', new Uint8Array(93));
    assert.throws(() => client.publish('t', new Uint8Array(94)), { code: 'MESSAGE_TOO_LARGE' });
    await assert.rejects(client.publish('t', new Uint8Array(94), { confirm: true }), {
      code: 'MESSAGE_TOO_LARGE',
    });
    const pub = await peer.expect('PUB');
    assert.equal(pub.payload.length, 93);
  });
});
