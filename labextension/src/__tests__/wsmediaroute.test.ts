import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { FALLBACK_MS, mediaSocketUrl, relayedPair, udpBlocked } from '../rtc/wsmedia/route';

test("the media socket sits beside the classroom's socket, with its query and the ticket", () => {
  assert.equal(
    mediaSocketUrl('ws://127.0.0.1:8888/user/ana/classroom/ws?token=abc', 't 1'),
    'ws://127.0.0.1:8888/user/ana/classroom/media?token=abc&ticket=t+1'
  );
  assert.equal(
    mediaSocketUrl('wss://hub.example.org/services/classroom/classrooms/intro/ws?token=x', 'k'),
    'wss://hub.example.org/services/classroom/classrooms/intro/media?token=x&ticket=k'
  );
});

test('a pair goes through the server when either of the two uses the socket', () => {
  assert.equal(relayedPair('webrtc', 'webrtc'), false);
  assert.equal(relayedPair('webrtc', undefined), false);
  assert.equal(relayedPair('websocket', 'webrtc'), true);
  assert.equal(relayedPair('webrtc', 'websocket'), true);
});

test('UDP counts as blocked after checking for a while without connecting, or a failure', () => {
  const checking = { checkingSince: 1000, failed: false, connected: false };
  assert.equal(udpBlocked(checking, 1000 + FALLBACK_MS - 1), false);
  assert.equal(udpBlocked(checking, 1000 + FALLBACK_MS), true);
  assert.equal(udpBlocked({ ...checking, connected: true }, 1e9), false);
  // A negotiation that never began checking (a lost offer) is not the network's fault.
  assert.equal(udpBlocked({ checkingSince: null, failed: false, connected: false }, 1e9), false);
  assert.equal(udpBlocked({ checkingSince: null, failed: true, connected: false }, 0), true);
});
