import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { IProbeSituation, PROBE_INTERVAL_MS, probeDue } from '../rtc/wsmedia/probe';

const fellBack: IProbeSituation = {
  mode: 'auto',
  transport: 'websocket',
  reason: 'udp_blocked',
  running: false,
  since: 1000
};

test('a page that fell back on the open floor probes an interval after the fallback, then again', () => {
  assert.equal(probeDue(fellBack, 1000 + PROBE_INTERVAL_MS - 1), false);
  assert.equal(probeDue(fellBack, 1000 + PROBE_INTERVAL_MS), true);
  assert.equal(probeDue({ ...fellBack, since: null }, 0), true);
  // A shorter interval (the tests set one on the page).
  assert.equal(probeDue(fellBack, 3999, 3000), false);
  assert.equal(probeDue(fellBack, 4000, 3000), true);
});

test('no probe while one runs, or where UDP was not the reason', () => {
  const late = 1e9;
  assert.equal(probeDue({ ...fellBack, running: true }, late), false);
  assert.equal(probeDue({ ...fellBack, transport: 'webrtc', reason: null }, late), false);
  // Chosen or configured: the person or the server wants the socket.
  assert.equal(probeDue({ ...fellBack, reason: 'chosen' }, late), false);
  assert.equal(probeDue({ ...fellBack, reason: 'configured' }, late), false);
  assert.equal(probeDue({ ...fellBack, mode: 'websocket' }, late), false);
  assert.equal(probeDue({ ...fellBack, reason: 'no_webcodecs', transport: 'webrtc' }, late), false);
});
