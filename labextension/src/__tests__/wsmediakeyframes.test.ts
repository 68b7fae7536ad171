import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { KeyFrameGate } from '../rtc/wsmedia/keyframes';

function gate(): { gate: KeyFrameGate; requests: number[] } {
  const requests: number[] = [];
  return { gate: new KeyFrameGate(layer => requests.push(layer), 1000), requests };
}

test('decoding starts only at a key frame, asking for one meanwhile (not more than once a second)', () => {
  const { gate: g, requests } = gate();
  assert.equal(g.accept({ layer: 0, sequence: 10, key: false }, 0), false);
  assert.equal(g.accept({ layer: 0, sequence: 11, key: false }, 500), false);
  assert.deepEqual(requests, [0]);
  assert.equal(g.accept({ layer: 0, sequence: 12, key: false }, 1000), false);
  assert.deepEqual(requests, [0, 0]);
  assert.equal(g.accept({ layer: 0, sequence: 13, key: true }, 1100), true);
  assert.equal(g.accept({ layer: 0, sequence: 14, key: false }, 1120), true);
  assert.equal(g.waiting, false);
  assert.equal(g.gaps, 0);
});

test('a lost frame stops decoding until a key frame, across the sequence wrap', () => {
  const { gate: g, requests } = gate();
  assert.equal(g.accept({ layer: 1, sequence: 65534, key: true }, 0), true);
  assert.equal(g.accept({ layer: 1, sequence: 65535, key: false }, 10), true);
  assert.equal(g.accept({ layer: 1, sequence: 1, key: false }, 20), false);
  assert.deepEqual(requests, [1]);
  assert.equal(g.gaps, 1);
  assert.equal(g.accept({ layer: 1, sequence: 3, key: false }, 30), false, 'another loss while waiting');
  assert.equal(g.gaps, 2);
  assert.deepEqual(requests, [1], 'losses while waiting do not ask again sooner');
  assert.equal(g.accept({ layer: 1, sequence: 4, key: true }, 40), true);
  assert.equal(g.accept({ layer: 1, sequence: 5, key: false }, 50), true);
});

test('a late or repeated frame is dropped without stopping decoding', () => {
  const { gate: g, requests } = gate();
  g.accept({ layer: 0, sequence: 1, key: true }, 0);
  g.accept({ layer: 0, sequence: 2, key: false }, 0);
  assert.equal(g.accept({ layer: 0, sequence: 2, key: false }, 0), false);
  assert.equal(g.accept({ layer: 0, sequence: 3, key: false }, 0), true);
  assert.deepEqual(requests, []);
});

test('a layer switch waits for the new layer key frame and asks for it at once', () => {
  const { gate: g, requests } = gate();
  g.accept({ layer: 0, sequence: 100, key: true }, 0);
  g.accept({ layer: 0, sequence: 101, key: false }, 0);
  assert.equal(g.accept({ layer: 1, sequence: 7, key: false }, 10), false);
  assert.deepEqual(requests, [1]);
  assert.equal(g.layer, 1);
  assert.equal(g.accept({ layer: 1, sequence: 8, key: true }, 20), true);
  assert.equal(g.gaps, 0, "the new layer's sequence is its own");
  // Straight onto a key frame: no request.
  assert.equal(g.accept({ layer: 0, sequence: 102, key: true }, 30), true);
  assert.deepEqual(requests, [1]);
});

test('a restart (decoder failed or behind) waits for a key frame and asks for one', () => {
  const { gate: g, requests } = gate();
  g.restart(0);
  assert.deepEqual(requests, [], 'nothing to ask for before any frame');
  g.accept({ layer: 1, sequence: 1, key: true }, 0);
  g.restart(5);
  assert.deepEqual(requests, [1]);
  assert.equal(g.accept({ layer: 1, sequence: 2, key: false }, 10), false);
  assert.equal(g.accept({ layer: 1, sequence: 3, key: true }, 20), true);
});
