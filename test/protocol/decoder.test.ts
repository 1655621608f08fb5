/**
 * FrameDecoder behaviour beyond single frames (docs/protocol.md §1.7): chunk boundaries, zero
 * copy, reassembly memory, limits before buffering, pause/resume/stop and handler re-entrancy.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  encodeFrames,
  encodeHello,
  encodePing,
  encodePub,
  encodeSub,
  type Frame,
  FrameCollector,
  FrameDecoder,
  REASSEMBLY_INITIAL_SIZE,
  writePubHeader,
} from '../../src/protocol/index.ts';
import { assertChunkInvariant, feed, hex, summary } from './helpers.ts';

/** Records what onPub was handed, to check views and copies. */
class PubSpy extends FrameCollector {
  readonly bufs: Buffer[] = [];
  readonly ranges: Array<[number, number, number, number]> = [];
  override onPub(confirmId: number, buf: Buffer, ts: number, tl: number, ps: number, pe: number): void {
    this.bufs.push(buf);
    this.ranges.push([ts, tl, ps, pe]);
    super.onPub(confirmId, buf, ts, tl, ps, pe);
  }
}

function mixedFrames(n: number): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0)
      frames.push({ op: 'PUB', confirmId: i, topic: `t.${i}`, payload: Buffer.alloc(i % 50, i) });
    else if (i % 3 === 1) frames.push({ op: 'SUB', sid: i, startKind: 2, startValue: i, topic: 'orders' });
    else frames.push({ op: 'PING' });
  }
  return frames;
}

describe('FrameDecoder over chunk boundaries (§1.7)', () => {
  test('a thousand frames in one chunk decode as when sent one by one', () => {
    const frames = mixedFrames(1000);
    const whole = feed([encodeFrames(frames)], { side: 'server' });
    const oneByOne = feed(
      frames.map((f) => encodeFrames([f])),
      { side: 'server' },
    );
    assert.deepEqual(whole.events, frames);
    assert.deepEqual(oneByOne.events, frames);
  });

  test('a stream of 40 mixed frames gives the same frames byte by byte and split at every point', () => {
    const frames = mixedFrames(40);
    const fed = assertChunkInvariant(encodeFrames(frames), { side: 'server' }, 'mixed stream');
    assert.deepEqual(fed.events, frames);
  });

  test('a frame whole inside a chunk is handed out as a range of that chunk, not a copy', () => {
    const spy = new PubSpy();
    const decoder = new FrameDecoder(spy, { side: 'server', enforceHandshake: false });
    const chunk = Buffer.concat([encodePing(), encodePub('ab', Buffer.from('xyz'), 4)]);
    decoder.push(chunk);
    assert.equal(spy.bufs[0], chunk);
    assert.deepEqual(spy.ranges[0], [15, 2, 17, 20]);
  });

  test('a frame whose header ended one chunk and body fills the next is a range of the second chunk', () => {
    const spy = new PubSpy();
    const decoder = new FrameDecoder(spy, { side: 'server', enforceHandshake: false });
    const frame = encodePub('ab', Buffer.from('xyz'));
    const second = frame.subarray(5);
    decoder.push(frame.subarray(0, 5));
    decoder.push(second);
    assert.equal(spy.bufs[0], second);
  });

  test('a frame cut inside its body is copied into a buffer of exactly its body size', () => {
    const spy = new PubSpy();
    const decoder = new FrameDecoder(spy, { side: 'server', enforceHandshake: false });
    const frame = encodePub('ab', Buffer.from('xyz'));
    decoder.push(frame.subarray(0, 8));
    decoder.push(frame.subarray(8));
    assert.equal(spy.bufs[0]?.length, frame.length - 5);
    assert.deepEqual(spy.ranges[0], [5, 2, 7, 10]);
  });

  test('a big frame trickling in holds at most twice what arrived (or the initial size)', () => {
    const payload = Buffer.alloc(1024 * 1024, 7);
    const frame = encodePub('big', payload);
    const spy = new PubSpy();
    const decoder = new FrameDecoder(spy, { side: 'server', enforceHandshake: false });
    let sent = 0;
    for (let o = 0; o < frame.length; o += 1000) {
      const piece = frame.subarray(o, o + 1000);
      decoder.push(piece);
      sent += piece.length;
      if (sent < frame.length) {
        const bound = Math.max(REASSEMBLY_INITIAL_SIZE, 2 * sent);
        assert.ok(decoder.pendingBytes <= bound, `${decoder.pendingBytes} held after ${sent} bytes`);
      }
    }
    assert.equal(decoder.pendingBytes, 0);
    assert.equal(spy.bufs[0]?.length, frame.length - 5);
    assert.deepEqual((spy.frames[0] as { payload: Buffer }).payload, payload);
  });

  test('a 4 GiB length is refused from its 4 bytes, before anything is buffered', () => {
    const events = new FrameCollector();
    const decoder = new FrameDecoder(events, { side: 'server' });
    decoder.push(hex('ffffffff'));
    assert.equal(events.errors[0]?.code, 'FRAME_TOO_LARGE');
    assert.equal(decoder.pendingBytes, 0);
    decoder.push(Buffer.alloc(1024 * 1024));
    assert.equal(decoder.pendingBytes, 0, 'input after the error is dropped, not held');
    assert.equal(events.events.length, 1);
  });

  test('a frame header alone reserves nothing for the body', () => {
    const decoder = new FrameDecoder(new FrameCollector(), { side: 'server', enforceHandshake: false });
    decoder.push(hex('00800000|10'));
    assert.equal(decoder.pendingBytes, 0);
    assert.equal(decoder.midFrame, true);
  });

  test('before the handshake a server holds at most one HELLO worth of bytes', () => {
    const decoder = new FrameDecoder(new FrameCollector(), { side: 'server' });
    decoder.push(hex('00000507|01|01'));
    assert.ok(decoder.pendingBytes <= 1287, `${decoder.pendingBytes}`);
  });

  test('a new maxFrameSize applies from the next frame header', () => {
    const events = new FrameCollector();
    const decoder = new FrameDecoder(events, { side: 'server', maxFrameSize: 100, enforceHandshake: false });
    const frame = encodePub('a', Buffer.alloc(50));
    decoder.push(frame.subarray(0, 10));
    decoder.maxFrameSize = 20;
    decoder.push(frame.subarray(10));
    decoder.push(frame);
    assert.deepEqual(
      events.events.map((e) => (e instanceof Error ? `!${e.code}` : e.op)),
      ['PUB', '!FRAME_TOO_LARGE'],
    );
  });

  test('maxFrameSize outside 1..2^32-1 is refused', () => {
    for (const bad of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
      assert.throws(() => new FrameDecoder(new FrameCollector(), { side: 'server', maxFrameSize: bad }), {
        code: 'INVALID_ARGUMENT',
      });
    }
  });
});

describe('FrameDecoder checkPubTopicBytes', () => {
  /** A PUB to `topic` written by hand: the encoder refuses bad names. */
  function rawPub(topic: string): Buffer {
    const t = Buffer.from(topic, 'latin1');
    const pub = Buffer.alloc(10 + t.length + 2);
    writePubHeader(pub, 0, 7, t, 2);
    return pub;
  }
  /** A SUB to the bad name '.a': its bytes patched into a SUB to 'xa'. */
  function badSub(): Buffer {
    const sub = encodeSub(3, 'xa');
    sub[sub.length - 2] = 0x2e;
    return sub;
  }
  const codes = (c: FrameCollector) => c.errors.map((e) => e.code);

  for (const topic of ['a..b', '.a', 'a*', 'caf\xe9']) {
    test(`PUB to "${topic}": INVALID_TOPIC by default, handed on when the handler checks it itself`, () => {
      const checked = new FrameCollector();
      new FrameDecoder(checked, { side: 'server', enforceHandshake: false }).push(rawPub(topic));
      assert.deepEqual(codes(checked), ['INVALID_TOPIC']);
      assert.equal(checked.frames.length, 0);

      const unchecked = new FrameCollector();
      const options = { side: 'server', enforceHandshake: false, checkPubTopicBytes: false } as const;
      new FrameDecoder(unchecked, options).push(rawPub(topic));
      assert.deepEqual(codes(unchecked), []);
      const [pub] = unchecked.frames;
      assert.ok(pub?.op === 'PUB');
      assert.equal(pub.topic, topic);
    });
  }

  test('SUB topics are checked either way: only PUB topics are left to the handler', () => {
    for (const checkPubTopicBytes of [true, false]) {
      const c = new FrameCollector();
      new FrameDecoder(c, { side: 'server', enforceHandshake: false, checkPubTopicBytes }).push(badSub());
      assert.deepEqual(codes(c), ['INVALID_TOPIC'], `checkPubTopicBytes ${checkPubTopicBytes}`);
    }
  });
});

describe('FrameDecoder flow control', () => {
  /** Pauses (or stops) when the n-th PUB arrives. */
  class Pauser extends FrameCollector {
    decoder: FrameDecoder | undefined;
    constructor(
      readonly at: number,
      readonly how: 'pause' | 'stop',
    ) {
      super();
    }
    override onPub(confirmId: number, buf: Buffer, ts: number, tl: number, ps: number, pe: number): void {
      super.onPub(confirmId, buf, ts, tl, ps, pe);
      if (confirmId === this.at) this.how === 'pause' ? this.decoder?.pause() : this.decoder?.stop();
    }
  }

  const pubs = (ids: number[]): Buffer =>
    encodeFrames(ids.map((id) => ({ op: 'PUB', confirmId: id, topic: 'q', payload: Buffer.alloc(3) })));
  const ids = (c: FrameCollector): number[] => c.frames.map((f) => (f.op === 'PUB' ? f.confirmId : -1));

  test('pause() inside a handler holds the rest of the chunk until resume()', () => {
    const h = new Pauser(2, 'pause');
    const decoder = new FrameDecoder(h, { side: 'server', enforceHandshake: false });
    h.decoder = decoder;
    decoder.push(pubs([1, 2, 3, 4]));
    assert.deepEqual(ids(h), [1, 2]);
    assert.equal(decoder.paused, true);
    decoder.push(pubs([5]));
    assert.deepEqual(ids(h), [1, 2], 'input pushed while paused is held');
    assert.ok(decoder.pendingBytes > 0);
    decoder.resume();
    assert.deepEqual(ids(h), [1, 2, 3, 4, 5]);
    assert.equal(decoder.pendingBytes, 0);
  });

  test('pause() in the middle of a reassembled frame stream keeps order', () => {
    const h = new Pauser(3, 'pause');
    const decoder = new FrameDecoder(h, { side: 'server', enforceHandshake: false });
    h.decoder = decoder;
    const bytes = pubs([1, 2, 3, 4, 5, 6]);
    for (const b of bytes) decoder.push(Buffer.from([b]));
    assert.deepEqual(ids(h), [1, 2, 3]);
    decoder.resume();
    assert.deepEqual(ids(h), [1, 2, 3, 4, 5, 6]);
  });

  test('stop() inside a handler drops the rest and ignores later input', () => {
    const h = new Pauser(2, 'stop');
    const decoder = new FrameDecoder(h, { side: 'server', enforceHandshake: false });
    h.decoder = decoder;
    decoder.push(pubs([1, 2, 3]));
    decoder.push(pubs([4]));
    decoder.resume();
    assert.deepEqual(ids(h), [1, 2]);
    assert.equal(decoder.stopped, true);
    assert.equal(decoder.pendingBytes, 0);
  });

  test('a server that stops on HELLO (auth failed) decodes nothing pipelined after it', () => {
    const h = new (class extends FrameCollector {
      decoder: FrameDecoder | undefined;
      override onHello(version: number, name: string, token: Buffer): void {
        super.onHello(version, name, token);
        this.decoder?.stop();
      }
    })();
    const decoder = new FrameDecoder(h, { side: 'server' });
    h.decoder = decoder;
    decoder.push(Buffer.concat([encodeHello('c', 'wrong'), encodeSub(1, 'secret'), encodePing()]));
    assert.deepEqual(summary(h.frames), ['HELLO']);
  });

  test('push() from inside a handler is decoded after the current chunk, in order', () => {
    const h = new (class extends FrameCollector {
      decoder: FrameDecoder | undefined;
      override onPing(): void {
        super.onPing();
        if (this.frames.length === 1) this.decoder?.push(pubs([9]));
      }
    })();
    const decoder = new FrameDecoder(h, { side: 'server', enforceHandshake: false });
    h.decoder = decoder;
    decoder.push(Buffer.concat([encodePing(), pubs([1])]));
    assert.deepEqual(summary(h.frames), ['PING', 'PUB', 'PUB']);
    assert.deepEqual(ids(h).slice(1), [1, 9]);
  });

  test('an exception from a handler propagates and stops the decoder', () => {
    const h = new (class extends FrameCollector {
      override onPing(): void {
        throw new Error('handler bug');
      }
    })();
    const decoder = new FrameDecoder(h, { side: 'server', enforceHandshake: false });
    assert.throws(() => decoder.push(Buffer.concat([encodePing(), pubs([1])])), /handler bug/);
    assert.equal(decoder.stopped, true);
    decoder.push(pubs([2]));
    assert.deepEqual(h.frames, []);
  });
});
