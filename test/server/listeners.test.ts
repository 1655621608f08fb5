import assert from 'node:assert/strict';
import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validateConfig } from '../../src/config/index.ts';
import { createLogger, startServer } from '../../src/server/index.ts';
import { tempDir } from './helpers/socket-pair.ts';
import { startTestServer } from './helpers/test-server.ts';

const silent = createLogger('silent', { pretty: false });

describe('listeners', () => {
  for (const [mode, expected] of [
    [undefined, 0o600],
    ['0660', 0o660],
  ] as const) {
    test(`the Unix socket file mode is ${expected.toString(8)} (socket_mode ${mode ?? 'default'})`, async () => {
      const h = await startTestServer({ server: mode === undefined ? {} : { socket_mode: mode } });
      assert.equal((await stat(h.server.addresses.unix)).mode & 0o777, expected);
      await h.stop();
    });
  }

  test('port 0 binds an ephemeral port and reports the real one', async () => {
    const h = await startTestServer();
    assert.ok(h.server.addresses.tcp.port > 0);
    assert.equal(h.server.addresses.tcp.host, '127.0.0.1');
    await h.stop();
  });

  test('a second server on a live socket path is refused with LISTEN_FAILED', async () => {
    const h = await startTestServer();
    const config = validateConfig({
      server: { socket_path: h.server.addresses.unix, port: 0, log_level: 'silent' },
    });
    await assert.rejects(startServer(config, { logger: silent }), { code: 'LISTEN_FAILED' });
    assert.equal((await lstat(h.server.addresses.unix)).isSocket(), true, 'the live socket is left alone');
    await h.stop();
  });

  test('a TCP address in use fails start-up and leaves no socket file behind', async () => {
    const h = await startTestServer();
    const { dir, cleanup } = await tempDir();
    const path = join(dir, 'second.sock');
    const config = validateConfig({
      server: { socket_path: path, port: h.server.addresses.tcp.port, log_level: 'silent' },
    });
    await assert.rejects(startServer(config, { logger: silent }), { code: 'LISTEN_FAILED' });
    await assert.rejects(lstat(path), { code: 'ENOENT' });
    await cleanup();
    await h.stop();
  });

  test('close() removes the socket file and emits closed', async () => {
    const h = await startTestServer();
    let closed = false;
    h.server.once('closed', () => {
      closed = true;
    });
    await h.server.close();
    assert.equal(closed, true);
    await assert.rejects(lstat(h.server.addresses.unix), { code: 'ENOENT' });
    await h.stop();
  });

  test('configured topics are created on the broker with their settings', async () => {
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
    await h.stop();
  });
});
