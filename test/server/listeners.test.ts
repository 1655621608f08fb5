import assert from 'node:assert/strict';
import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type BrokerConfig, validateConfig } from '../../src/config/index.ts';
import { createLogger, startServer } from '../../src/server/index.ts';
import { tempDir } from './helpers/socket-pair.ts';
import { startTestServer } from './helpers/test-server.ts';

const silent = createLogger('silent', { pretty: false });

/**
 * Starts a server that must be refused. One that starts anyway is closed, so the test fails
 * instead of hanging.
 */
async function startRefused(config: BrokerConfig): Promise<void> {
  const server = await startServer(config, { logger: silent });
  await server.close();
}

describe('listeners', () => {
  for (const [mode, expected] of [
    [undefined, 0o600],
    ['0660', 0o660],
  ] as const) {
    test(`the Unix socket file mode is ${expected.toString(8)} (socket_mode ${mode ?? 'default'})`, async (t) => {
      const h = await startTestServer({ server: mode === undefined ? {} : { socket_mode: mode } });
      t.after(() => h.stop());
      assert.equal((await stat(h.server.addresses.unix)).mode & 0o777, expected);
    });
  }

  test('port 0 binds an ephemeral port and reports the real one', async (t) => {
    const h = await startTestServer();
    t.after(() => h.stop());
    assert.ok(h.server.addresses.tcp.port > 0);
    assert.equal(h.server.addresses.tcp.host, '127.0.0.1');
  });

  test('a second server on a live socket path is refused with LISTEN_FAILED', async (t) => {
    const h = await startTestServer();
    t.after(() => h.stop());
    const config = validateConfig({
      server: { socket_path: h.server.addresses.unix, port: 0, log_level: 'silent' },
    });
    await assert.rejects(startRefused(config), { code: 'LISTEN_FAILED' });
    assert.equal((await lstat(h.server.addresses.unix)).isSocket(), true, 'the live socket is left alone');
  });

  test('a TCP address in use fails start-up and leaves no socket file behind', async (t) => {
    const h = await startTestServer();
    t.after(() => h.stop());
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const path = join(dir, 'second.sock');
    const config = validateConfig({
      server: { socket_path: path, port: h.server.addresses.tcp.port, log_level: 'silent' },
    });
    await assert.rejects(startRefused(config), { code: 'LISTEN_FAILED' });
    await assert.rejects(lstat(path), { code: 'ENOENT' });
  });

  test('close() removes the socket file and emits closed', async (t) => {
    const h = await startTestServer();
    t.after(() => h.stop());
    let closed = false;
    h.server.once('closed', () => {
      closed = true;
    });
    await h.server.close();
    assert.equal(closed, true);
    await assert.rejects(lstat(h.server.addresses.unix), { code: 'ENOENT' });
  });

  test('configured topics are created on the broker with their settings', async (t) => {
    const h = await startTestServer({
      topics: [
        {
          name: 'orders',
          routing: 'Queue',
          buffer_size: 7,
          overflow: 'block',
          ack: 'manual',
          prefetch: 3,
          delivery_limit: 5,
        },
        { name: 'prices', routing: 'Fanout', slow_consumer: 'disconnect', max_message_size: 512 },
      ],
    });
    t.after(() => h.stop());
    assert.deepEqual(h.server.broker.getTopic('orders')?.settings, {
      routing: 'Queue',
      bufferSize: 7,
      maxMessageSize: 1048576,
      overflow: 'block',
      slowConsumer: 'drop_oldest',
      ack: 'manual',
      prefetch: 3,
      deliveryLimit: 5,
    });
    assert.equal(h.server.broker.getTopic('prices')?.settings.slowConsumer, 'disconnect');
    assert.equal(h.server.broker.getTopic('prices')?.settings.maxMessageSize, 512);
  });
});
