import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Heartbeat, HeartbeatAction } from '../../src/server/heartbeat.ts';

const INTERVAL = 100;

describe('Heartbeat', () => {
  test('a silent peer gets a PING each interval, then a timeout after max_missed unanswered PINGs', () => {
    const hb = new Heartbeat(0);
    const at = (t: number) => hb.check(t, INTERVAL, 2, false);
    assert.equal(at(99), HeartbeatAction.None);
    assert.equal(at(100), HeartbeatAction.Ping);
    assert.equal(at(150), HeartbeatAction.None);
    assert.equal(at(200), HeartbeatAction.Ping);
    assert.equal(at(299), HeartbeatAction.None);
    assert.equal(at(300), HeartbeatAction.Timeout);
  });

  test('anything heard restarts the silence and the missed count', () => {
    const hb = new Heartbeat(0);
    assert.equal(hb.check(100, INTERVAL, 2, false), HeartbeatAction.Ping);
    hb.heard();
    assert.equal(hb.check(150, INTERVAL, 2, false), HeartbeatAction.None);
    assert.equal(hb.pingsOut, 0);
    assert.equal(hb.check(249, INTERVAL, 2, false), HeartbeatAction.None);
    assert.equal(hb.check(250, INTERVAL, 2, false), HeartbeatAction.Ping);
  });

  test('a PONG clears the outstanding PINGs', () => {
    const hb = new Heartbeat(0);
    assert.equal(hb.check(100, INTERVAL, 1, false), HeartbeatAction.Ping);
    hb.pong();
    assert.equal(hb.pingsOut, 0);
    assert.equal(
      hb.check(200, INTERVAL, 1, false),
      HeartbeatAction.Ping,
      'silence still counts from the last read',
    );
  });

  test('a connection we paused (block overflow) is never timed out', () => {
    const hb = new Heartbeat(0);
    for (let t = 100; t <= 1000; t += 100) assert.equal(hb.check(t, INTERVAL, 1, true), HeartbeatAction.None);
  });
});
