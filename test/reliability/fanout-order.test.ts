/**
 * D1: fanout order and completeness. Publishers (half on TCP, half on the Unix socket) each
 * publish a numbered stream to one topic; every subscriber must receive every publisher's stream
 * complete, in order, without duplicates, and all subscribers must agree on the topic's order
 * (the same seq carries the same message everywhere).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startInProcess } from './helpers/in-process.ts';
import { ConfirmPublisher } from './helpers/publisher.ts';
import { recordEq, recordInfo, SOAK } from './helpers/results.ts';
import { WireClient } from './helpers/wire-client.ts';

const PUBLISHERS = SOAK ? 4 : 2;
const SUBSCRIBERS = SOAK ? 8 : 4;
const PER_PUBLISHER = SOAK ? 250_000 : 25_000;

test(`D1: ${PUBLISHERS} publishers x ${SUBSCRIBERS} subscribers x ${PER_PUBLISHER} messages: 0 gaps, 0 reorders, 0 duplicates`, async () => {
  const total = PUBLISHERS * PER_PUBLISHER;
  const h = await startInProcess({
    topics: [{ name: 'feed', buffer_size: Math.min(16_777_216, total + 10) }],
  });
  try {
    let gaps = 0;
    let reorders = 0;
    let duplicates = 0;
    let lagged = 0;
    /** seq -> (pubId << 24 | n) as the first subscriber saw it, to check the others agree. */
    const bySeq = new Float64Array(total + 2).fill(-1);
    let disagreements = 0;
    const received = new Array<number>(SUBSCRIBERS).fill(0);
    const subs: WireClient[] = [];
    for (let s = 0; s < SUBSCRIBERS; s++) {
      const next = new Array<number>(PUBLISHERS).fill(0);
      const c = await WireClient.ready(h.target(s), { name: `sub-${s}` });
      c.handlers = {
        onMsg(_sid, seq, _flags, _dc, payload) {
          received[s]!++;
          const pubId = payload.readUInt8(0);
          const n = payload.readUInt32BE(1);
          const want = next[pubId]!;
          if (n === want) next[pubId] = n + 1;
          else if (n > want) {
            gaps += n - want;
            next[pubId] = n + 1;
          } else if (n === want - 1) duplicates++;
          else reorders++;
          const key = pubId * 2 ** 32 + n;
          if (bySeq[seq] === -1) bySeq[seq] = key;
          else if (bySeq[seq] !== key) disagreements++;
        },
        onLagged(_sid, _from, count) {
          lagged += count;
        },
      };
      await c.subscribe(1, 'feed');
      subs.push(c);
    }
    const pubs = await Promise.all(
      Array.from(
        { length: PUBLISHERS },
        async (_, p) =>
          new ConfirmPublisher(await WireClient.ready(h.target(p + 1), { name: `pub-${p}` }), 'feed'),
      ),
    );
    // Each publisher stays within 20 000 messages of the slowest subscriber, so nobody can lag
    // past the ring: loss here could only be a broker bug.
    const slowest = (): number => Math.min(...received);
    await Promise.all(
      pubs.map((pub, p) =>
        pub.run(
          PER_PUBLISHER,
          (i) => {
            const b = Buffer.alloc(16);
            b.writeUInt8(p, 0);
            b.writeUInt32BE(i, 1);
            return b;
          },
          { window: 500, gate: () => pub.sent * PUBLISHERS - slowest() < 20_000 },
        ),
      ),
    );
    const confirmed = pubs.reduce((a, p) => a + p.confirmed.size, 0);
    assert.equal(confirmed, total, 'every publish confirmed');
    const deadline = Date.now() + 120_000;
    while (Math.min(...received) < total && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const missing = received.reduce((a, r) => a + (total - r), 0);
    const okGaps = recordEq('D1', 'gaps (per publisher)', gaps + missing + lagged, 0, 'count');
    const okReorders = recordEq('D1', 'reorders (per publisher)', reorders, 0, 'count');
    const okDup = recordEq('D1', 'duplicates', duplicates, 0, 'count');
    const okAgree = recordEq(
      'D1',
      'cross-subscriber order disagreements (claim: one total order per topic)',
      disagreements,
      0,
      'count',
    );
    recordInfo(
      'D1',
      'deliveries checked',
      received.reduce((a, r) => a + r, 0),
      'count',
    );
    assert.ok(
      okGaps && okReorders && okDup && okAgree,
      JSON.stringify({ gaps, missing, lagged, reorders, duplicates, disagreements }),
    );
    for (const c of subs) c.destroy();
  } finally {
    await h.stop();
  }
});
