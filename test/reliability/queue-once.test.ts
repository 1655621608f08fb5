/**
 * D2: on a queue topic with consumer acks and no faults, every accepted message is delivered to
 * exactly one consumer exactly once (nats-server TestNoRaceRoutedQueueAutoUnsubscribe).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAck } from '../../src/protocol/index.ts';
import { startInProcess } from './helpers/in-process.ts';
import { ConfirmPublisher } from './helpers/publisher.ts';
import { record, recordEq, SOAK } from './helpers/results.ts';
import { until, WireClient } from './helpers/wire-client.ts';

const MESSAGES = SOAK ? 1_000_000 : 100_000;
const CONSUMERS = 8;

test('D2: 8 acking consumers on a queue topic receive every accepted message exactly once', async () => {
  const h = await startInProcess({
    topics: [
      // block: a publisher that outruns the consumers (1M in the soak tier) waits for room instead of
      // being refused, so every publish is accepted and the row counts them all.
      { name: 'work', routing: 'Queue', ack: 'manual', prefetch: 64, buffer_size: 50_000, overflow: 'block' },
    ],
  });
  try {
    const seen = new Uint8Array(MESSAGES + 1);
    const share = new Array<number>(CONSUMERS).fill(0);
    let deliveries = 0;
    const consumers: WireClient[] = [];
    for (let k = 0; k < CONSUMERS; k++) {
      const c = await WireClient.ready(h.target(k), { name: `consumer-${k}` });
      c.handlers = {
        onMsg(sid, seq) {
          deliveries++;
          share[k]!++;
          if (seq <= MESSAGES) seen[seq]!++;
          c.queue(encodeAck(sid, seq));
        },
      };
      await c.subscribe(1, 'work');
      consumers.push(c);
    }
    const pubClient = await WireClient.ready(h.tcp, { name: 'publisher' });
    const pub = new ConfirmPublisher(pubClient, 'work');
    const payload = Buffer.alloc(32, 7);
    await pub.run(MESSAGES, () => payload, { window: 1000 });
    assert.equal(pub.confirmed.size, MESSAGES, `every publish confirmed (refused: ${pub.refused.size})`);
    await until(() => h.server.broker.topicStats('work').acked >= MESSAGES, 'every delivery acked', 120_000);
    let duplicates = 0;
    let lost = 0;
    for (const seq of pub.confirmed.values()) {
      if (seen[seq] === 0) lost++;
      else if (seen[seq]! > 1) duplicates += seen[seq]! - 1;
    }
    const okDeliveries = recordEq('D2', 'deliveries', deliveries, MESSAGES);
    const okDup = recordEq('D2', 'duplicates', duplicates, 0);
    const okLost = recordEq('D2', 'lost', lost, 0);
    const min = Math.min(...share);
    const max = Math.max(...share);
    record({
      id: 'D2',
      figure: 'per-consumer share min / max',
      value: `${((100 * min) / deliveries).toFixed(1)} / ${((100 * max) / deliveries).toFixed(1)}`,
      unit: '%',
      bar: 'every consumer > 0',
      pass: min > 0,
    });
    assert.ok(
      okDeliveries && okDup && okLost,
      `deliveries ${deliveries}, duplicates ${duplicates}, lost ${lost}`,
    );
    assert.ok(min > 0, 'every consumer took a share');
    for (const c of [...consumers, pubClient]) c.destroy();
  } finally {
    await h.stop();
  }
});
