/**
 * B2, slow but alive (nats-server TestNoRaceAvoidSlowConsumerBigMessages): a subscriber that reads
 * at about half the publish rate, through the fault proxy's bandwidth limit, while its backlog
 * stays under the limits (the fanout buffer and max_pending_bytes), is neither disconnected nor
 * loses a message; and with the default settings a subscriber receives 500 x 1 MiB messages (the
 * matrix figure, in both tiers) published as fast as confirms allow, without a slow-consumer flag.
 * Both run on a child broker with only the topics declared (every other setting its default).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ChildBroker, startChildBroker } from './helpers/child.ts';
import { FaultProxy } from './helpers/fault-proxy.ts';
import { ConfirmPublisher } from './helpers/publisher.ts';
import { recordEq, recordInfo, recordMax, SOAK } from './helpers/results.ts';
import { until, WireClient } from './helpers/wire-client.ts';

const MiB = 1024 * 1024;
/** Defaults the slow subscriber must stay under (docs: buffer_size, max_pending_bytes). */
const BUFFER_SIZE = 10_000;
const MAX_PENDING = 64 * MiB;

let broker: ChildBroker;

before(async () => {
  broker = await startChildBroker({ toml: '[[topics]]\nname = "slow"\n\n[[topics]]\nname = "big"\n' });
});

after(async () => {
  await broker.stop();
});

/** A subscriber that counts gaps, LAGGED notices and what it received. */
async function subscriber(target: Parameters<typeof WireClient.ready>[0], topic: string, name: string) {
  const state = { got: 0, bytes: 0, gaps: 0, lagged: 0, bad: 0, expected: 0 };
  const c = await WireClient.ready(target, { name });
  c.handlers = {
    onMsg(_sid, seq, _flags, _dc, payload) {
      if (state.expected !== 0 && seq !== state.expected) state.gaps += Math.abs(seq - state.expected);
      state.expected = seq + 1;
      // Payloads carry their publish index; message i must be the i-th received.
      if (payload.length < 4 || payload.readUInt32BE(0) !== state.got) state.bad++;
      state.got++;
      state.bytes += payload.length;
    },
    onLagged(_sid, _from, n) {
      state.lagged += n;
    },
  };
  await c.subscribe(1, topic);
  return { client: c, state };
}

describe('B2: slow but alive', () => {
  test('a subscriber reading at ~50% of the publish rate with its backlog under the limits: 0 disconnects, 0 lost', async () => {
    const seconds = SOAK ? 30 : 3;
    const size = 8 * 1024;
    const publishRate = 2 * MiB;
    const readRate = publishRate / 2;
    const proxy = await FaultProxy.start(broker.tcp as { host: string; port: number });
    const clients: WireClient[] = [];
    try {
      const sub = await subscriber(proxy.target, 'slow', 'slow-sub');
      clients.push(sub.client);
      proxy.add('bw', 'down', { kind: 'bandwidth', bytesPerSecond: readRate });
      const pubClient = await WireClient.ready(broker.unix, { name: 'slow-pub' });
      clients.push(pubClient);
      const pub = new ConfirmPublisher(pubClient, 'slow');
      const payload = Buffer.alloc(size, 0x5a);
      const count = Math.floor((publishRate * seconds) / size);
      const t0 = performance.now();
      let maxLag = 0;
      await pub.run(
        count,
        (i) => {
          payload.writeUInt32BE(i, 0);
          return payload;
        },
        {
          window: 64,
          // Paced: message i goes out once i * size bytes are due at publishRate.
          gate: () => {
            maxLag = Math.max(maxLag, pub.confirmed.size - sub.state.got);
            return pub.sent * size <= ((performance.now() - t0) / 1000) * publishRate;
          },
        },
      );
      const publishSeconds = (performance.now() - t0) / 1000;
      const readDuring = sub.state.bytes;
      const confirmed = pub.confirmed.size;
      await until(
        () => sub.state.got >= confirmed || sub.client.isClosed,
        'the slow subscriber drains',
        60_000 + seconds * 2000,
      );
      const closes = broker.closes().filter((c) => c.reason === 'SLOW_CONSUMER').length;
      const disconnects = (sub.client.isClosed ? 1 : 0) + closes;
      const lost = sub.state.gaps + sub.state.lagged + Math.max(0, confirmed - sub.state.got) + sub.state.bad;
      const okDisc = recordEq('B2', 'disconnects of the slow subscriber', disconnects, 0);
      const okLost = recordEq('B2', 'messages lost by the slow subscriber', lost, 0);
      const okLag = recordMax(
        'B2',
        `peak backlog of the slow subscriber (${size / 1024} KiB messages; bar: buffer_size)`,
        maxLag,
        BUFFER_SIZE,
        'messages',
      );
      const okPending = recordMax(
        'B2',
        'peak backlog in bytes (bar: max_pending_bytes)',
        Number(((maxLag * size) / MiB).toFixed(2)),
        MAX_PENDING / MiB,
        'MiB',
      );
      recordInfo(
        'B2',
        'read rate over publish rate while publishing (target ~50 %)',
        Number(((100 * readDuring) / (confirmed * size)).toFixed(1)),
        '%',
      );
      recordInfo(
        'B2',
        'publish rate achieved / proxy read limit',
        `${((confirmed * size) / publishSeconds / MiB).toFixed(2)} / ${(readRate / MiB).toFixed(2)}`,
        'MiB/s',
      );
      assert.ok(okDisc, `disconnects ${disconnects}`);
      assert.ok(okLost, JSON.stringify(sub.state));
      assert.ok(okLag && okPending, `peak backlog ${maxLag} messages`);
      // The bandwidth limit did make it slow: it read well under what was published meanwhile.
      assert.ok(readDuring < confirmed * size * 0.8, `read ${readDuring} of ${confirmed * size} bytes`);
    } finally {
      for (const c of clients) c.destroy();
      await proxy.close();
    }
  });

  const big = Number(process.env.MYCELIUM_B2_BIG ?? 500);
  test(`with defaults, ${big} x 1 MiB messages are received without a slow-consumer flag`, async () => {
    const clients: WireClient[] = [];
    try {
      const sub = await subscriber(broker.tcp, 'big', 'big-sub');
      clients.push(sub.client);
      const pubClient = await WireClient.ready(broker.unix, { name: 'big-pub' });
      clients.push(pubClient);
      const pub = new ConfirmPublisher(pubClient, 'big');
      const payload = Buffer.alloc(MiB, 0x33);
      await pub.run(
        big,
        (i) => {
          payload.writeUInt32BE(i, 0);
          return payload;
        },
        { window: 100 },
      );
      const confirmed = pub.confirmed.size;
      await until(
        () => sub.state.got >= confirmed || sub.client.isClosed,
        'the big messages arrive',
        120_000,
      );
      const flagged =
        sub.state.lagged +
        (sub.client.isClosed ? 1 : 0) +
        broker.closes().filter((c) => c.reason === 'SLOW_CONSUMER').length;
      const okConfirmed = recordEq('B2', `1 MiB messages accepted (of ${big})`, confirmed, big);
      const okGot = recordEq(
        'B2',
        '1 MiB messages received intact and in order',
        sub.state.got - sub.state.bad,
        big,
      );
      const okFlag = recordEq('B2', 'slow-consumer flags (LAGGED or SLOW_CONSUMER close)', flagged, 0);
      assert.ok(
        okConfirmed,
        `${confirmed} of ${big} accepted; refused ${JSON.stringify([...pub.refused.values()])}`,
      );
      assert.ok(okGot, JSON.stringify(sub.state));
      assert.ok(okFlag, `flags ${flagged}`);
    } finally {
      for (const c of clients) c.destroy();
    }
  });
});
