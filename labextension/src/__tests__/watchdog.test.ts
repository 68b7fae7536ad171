import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { callAction, CONNECT_TIMEOUT_MS, DISCONNECT_GRACE_MS, ICallHealth } from '../rtc/watchdog';

const fresh: ICallHealth = { connected: false, everConnected: false, since: 1000, restarted: false };

test('a connected call is left alone, however old', () => {
  assert.equal(callAction({ ...fresh, connected: true, everConnected: true }, 1e9), 'none');
});

test('a call that never connects is rebuilt after the timeout, not before', () => {
  assert.equal(callAction(fresh, 1000 + CONNECT_TIMEOUT_MS - 1), 'none');
  assert.equal(callAction(fresh, 1000 + CONNECT_TIMEOUT_MS), 'rebuild');
  // No ICE restart for a call that never connected, even past the grace.
  assert.equal(callAction(fresh, 1000 + DISCONNECT_GRACE_MS), 'none');
});

test('a dropped connection gets a grace, then an ICE restart, then a rebuild', () => {
  const lost: ICallHealth = { connected: false, everConnected: true, since: 5000, restarted: false };
  assert.equal(callAction(lost, 5000 + DISCONNECT_GRACE_MS - 1), 'none');
  assert.equal(callAction(lost, 5000 + DISCONNECT_GRACE_MS), 'restart');
  const restarted = { ...lost, restarted: true };
  assert.equal(callAction(restarted, 5000 + DISCONNECT_GRACE_MS), 'none');
  assert.equal(callAction(restarted, 5000 + DISCONNECT_GRACE_MS + CONNECT_TIMEOUT_MS - 1), 'none');
  assert.equal(callAction(restarted, 5000 + DISCONNECT_GRACE_MS + CONNECT_TIMEOUT_MS), 'rebuild');
});
