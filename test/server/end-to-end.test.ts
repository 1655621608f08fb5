import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  encodeHello,
  encodePing,
  encodePub,
  encodeSub,
  PROTOCOL_VERSION,
  StartKind,
} from '../../src/protocol/index.ts';
import { RawClient } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

describe('end to end (the seed integration test)', () => {
  let h: TestServer;
  before(async () => {
    h = await startTestServer({ topics: [{ name: 'test', routing: 'Fanout' }] });
  });
  after(() => h.stop());

  test('HELLO is answered with WELCOME carrying max_frame_size and the heartbeat interval', async () => {
    const c = await RawClient.connect(h.unix);
    c.send(encodeHello('hello-check'));
    assert.deepEqual(await c.next(), {
      op: 'WELCOME',
      version: PROTOCOL_VERSION,
      maxFrameSize: h.server.config.server.max_frame_size,
      heartbeatIntervalMs: h.server.config.server.heartbeat_interval_ms,
      serverName: 'mycelium',
    });
    c.destroy();
  });

  for (const transport of ['unix', 'tcp'] as const) {
    test(`a message published over ${transport} reaches a subscriber with its payload`, async () => {
      const tcp = transport === 'tcp';
      const consumer = await h.client(`consumer-${transport}`, { tcp });
      const producer = await h.client(`producer-${transport}`, { tcp });
      consumer.send(encodeSub(1, 'test', StartKind.New, 0));
      const subAck = await consumer.next();
      assert.equal(subAck.op, 'SUB_ACK');
      const payload = Buffer.from('integration test message');
      producer.send(encodePub('test', payload));
      const msg = await consumer.next();
      assert.deepEqual(msg, {
        op: 'MSG',
        sid: 1,
        seq: subAck.op === 'SUB_ACK' ? subAck.nextSeq : -1,
        flags: 0,
        deliveryCount: 1,
        payload,
      });
    });
  }

  test('PING is answered with PONG', async () => {
    const c = await h.client('pinger');
    c.send(encodePing());
    assert.deepEqual(await c.next(), { op: 'PONG' });
  });

  test('the registry lists live connections with transport and subscriptions', async () => {
    const c = await h.client('listed', { tcp: true });
    c.send(encodeSub(9, 'test', StartKind.New, 0));
    await c.next();
    const info = h.server.connections.list().find((i) => i.clientName === 'listed');
    assert.ok(info);
    assert.equal(info.transport, 'tcp');
    assert.equal(info.subscriptions, 1);
    assert.equal(info.established, true);
    assert.match(info.remote, /^127\.0\.0\.1:\d+$/);
  });
});
