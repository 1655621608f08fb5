/**
 * Admin ops are optional for a handler (docs/protocol.md §6.8 rule 4): a decoder whose handler
 * does not take RELOAD (or RELOAD_RESULT) refuses it as UNKNOWN_OP, fatal, like a peer that does
 * not know the op, instead of dropping it silently.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ClientFrameHandler,
  encodeReload,
  encodeReloadResult,
  FrameDecoder,
  type FrameError,
  Op,
  ReloadStatus,
  type ServerFrameHandler,
} from '../../src/protocol/index.ts';

/** Records errors; every other call is a no-op. */
function recorder(): { errors: FrameError[]; handler: ServerFrameHandler & ClientFrameHandler } {
  const errors: FrameError[] = [];
  const none = (): void => {};
  const handler = {
    onHello: none,
    onPub: none,
    onSub: none,
    onUnsub: none,
    onAck: none,
    onPing: none,
    onPong: none,
    onWelcome: none,
    onMsg: none,
    onSubAck: none,
    onUnsubAck: none,
    onPubAck: none,
    onLagged: none,
    onErr: none,
    onError: (e: FrameError) => errors.push(e),
  };
  return { errors, handler };
}

describe('a handler without admin ops (§6.8)', () => {
  test('a server-side handler without onReload refuses RELOAD as a fatal UNKNOWN_OP carrying the request id', () => {
    const { errors, handler } = recorder();
    const decoder = new FrameDecoder(handler, { side: 'server', enforceHandshake: false });
    decoder.push(encodeReload(77));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'UNKNOWN_OP');
    assert.equal(errors[0]!.refOp, Op.RELOAD);
    assert.equal(errors[0]!.ref, 77);
    assert.equal(decoder.stopped, true);
  });

  test('a client-side handler without onReloadResult refuses RELOAD_RESULT as a fatal UNKNOWN_OP', () => {
    const { errors, handler } = recorder();
    const decoder = new FrameDecoder(handler, { side: 'client', enforceHandshake: false });
    decoder.push(encodeReloadResult(3, ReloadStatus.Applied, 0, 'done'));
    assert.deepEqual(
      errors.map((e) => [e.code, e.refOp, e.ref]),
      [['UNKNOWN_OP', Op.RELOAD_RESULT, 3]],
    );
    assert.equal(decoder.stopped, true);
  });

  test('a handler with onReload gets the request id', () => {
    const { errors, handler } = recorder();
    const seen: number[] = [];
    const decoder = new FrameDecoder(
      { ...handler, onReload: (id: number) => seen.push(id) },
      { side: 'server', enforceHandshake: false },
    );
    decoder.push(Buffer.concat([encodeReload(1), encodeReload(0xffff_ffff)]));
    assert.deepEqual(seen, [1, 0xffff_ffff]);
    assert.deepEqual(errors, []);
  });
});
