import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { IRefusalContext, stillRefused } from '../view/notice';

const at: [number, number] = [800, 880];

function now(change: Partial<IRefusalContext> = {}): IRefusalContext {
  return { at, room: null, locked: new Set(['table-5']), full: new Set(['table-6']), reach: 64, ...change };
}

test('a locked room keeps refusing until it is unlocked, we walk away or we are in', () => {
  assert.equal(stillRefused('room_locked', 'table-5', at, now()), true);
  // Pressing against it again, a step or two along the edge: still told.
  assert.equal(stillRefused('room_locked', 'table-5', at, now({ at: [830, 885] })), true);
  assert.equal(stillRefused('room_locked', 'table-5', at, now({ locked: new Set() })), false);
  assert.equal(stillRefused('room_locked', 'table-5', at, now({ at: [800, 960] })), false);
  // An instructor let us in (or brought us): the refusal is over.
  assert.equal(stillRefused('room_locked', 'table-5', at, now({ room: 'table-5' })), false);
  // Standing at another table does not end it.
  assert.equal(stillRefused('room_locked', 'table-5', at, now({ room: 'table-4' })), true);
});

test('a full room keeps refusing until someone leaves it', () => {
  assert.equal(stillRefused('room_full', 'table-6', at, now()), true);
  assert.equal(stillRefused('room_full', 'table-6', at, now({ full: new Set() })), false);
});

test('a refusal of a room we could not name lasts until we walk away', () => {
  assert.equal(stillRefused('room_locked', null, at, now({ locked: new Set() })), true);
  assert.equal(stillRefused('room_locked', null, at, now({ at: [900, 880] })), false);
});
