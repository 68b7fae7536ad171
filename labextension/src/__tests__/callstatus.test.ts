import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { CALL_WARN_MS, callStatus, ICallInput } from '../model/callstatus';

const atTable: ICallInput = { room: 'table-1', roomMedia: true, state: 'connecting', waitingFor: 0 };

test('the open floor has no room call', () => {
  assert.equal(callStatus({ ...atTable, room: null, state: 'failed', waitingFor: 1e9 }), 'none');
});

test('a room on a server without room calls is chat only', () => {
  assert.equal(callStatus({ ...atTable, roomMedia: false }), 'chat-only');
});

test('joining, then a warning when the call takes too long or fails', () => {
  assert.equal(callStatus(atTable), 'joining');
  assert.equal(callStatus({ ...atTable, state: 'none', waitingFor: CALL_WARN_MS - 1 }), 'joining');
  assert.equal(callStatus({ ...atTable, waitingFor: CALL_WARN_MS }), 'not-connected');
  assert.equal(callStatus({ ...atTable, state: 'failed' }), 'not-connected');
  assert.equal(callStatus({ ...atTable, state: 'connected', waitingFor: 1e9 }), 'connected');
});

test('in a room while the classroom is not connected: offline, never connected', () => {
  assert.equal(callStatus({ ...atTable, state: 'connected', online: false }), 'offline');
  assert.equal(callStatus({ ...atTable, roomMedia: false, online: false }), 'offline');
  assert.equal(callStatus({ ...atTable, room: null, online: false }), 'none');
  assert.equal(callStatus({ ...atTable, state: 'connected', online: true }), 'connected');
});
