import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { INearbyPerson, Nearby } from '../model/nearby';

// The server's defaults: come near within 150, go beyond 190.
const RADII = { join: 150, drop: 190 };

function person(id: string, x: number, y = 0, more: Partial<INearbyPerson> = {}): INearbyPerson {
  return { id, x, y, connection: 'online', room: null, ...more };
}

function setUp(...others: INearbyPerson[]): { people: Map<string, INearbyPerson>; nearby: Nearby } {
  const people = new Map<string, INearbyPerson>([['me', person('me', 0)]]);
  for (const p of others) {
    people.set(p.id, p);
  }
  const nearby = new Nearby(people);
  nearby.reset('me', [0, 0], RADII);
  nearby.updateAll();
  return { people, nearby };
}

const sorted = (ids: ReadonlySet<string>) => [...ids].sort();

test('near within the join radius, never ourselves', () => {
  const { nearby } = setUp(person('a', 100), person('b', 0, 150), person('c', 160));
  assert.deepEqual(sorted(nearby.near), ['a', 'b']);
});

test('someone near stays near until beyond the drop radius (hysteresis)', () => {
  const { people, nearby } = setUp(person('a', 170));
  assert.equal(nearby.near.has('a'), false, 'between the radii and never near: not near');

  people.get('a')!.x = 140;
  assert.equal(nearby.update(['a']), true);
  assert.equal(nearby.near.has('a'), true);

  people.get('a')!.x = 190;
  assert.equal(nearby.update(['a']), false, 'at the drop radius: still near');
  assert.equal(nearby.near.has('a'), true);

  people.get('a')!.x = 190.5;
  assert.equal(nearby.update(['a']), true);
  assert.equal(nearby.near.has('a'), false);

  people.get('a')!.x = 170;
  assert.equal(nearby.update(['a']), false, 'coming back between the radii: not yet');
  assert.equal(nearby.near.has('a'), false);
});

test('our own moves count: we walk ahead of the server', () => {
  const { nearby } = setUp(person('a', 300));
  assert.equal(nearby.near.size, 0);
  assert.equal(nearby.moveTo([160, 0]), true);
  assert.deepEqual(sorted(nearby.near), ['a']);
  assert.equal(nearby.moveTo([115, 0]), false, '185 away: still near');
  assert.equal(nearby.moveTo([100, 0]), true, '200 away: gone');
  assert.equal(nearby.near.size, 0);
  assert.deepEqual(nearby.here, [100, 0]);
});

test('someone reconnecting or gone is not near, and comes back only within the join radius', () => {
  const { people, nearby } = setUp(person('a', 100), person('b', 120), person('c', 170));
  nearby.moveTo([0, 0]);
  people.set('a', { ...people.get('a')!, connection: 'reconnecting' });
  assert.equal(nearby.update(['a']), true);
  assert.deepEqual(sorted(nearby.near), ['b']);

  people.delete('b');
  assert.equal(nearby.update(['b']), true);
  assert.equal(nearby.near.size, 0);
  assert.equal(nearby.capped.size, 0);

  // Back online at 170: near was lost, so the join radius applies again.
  people.set('a', person('a', 170));
  assert.equal(nearby.update(['a']), false);
  assert.equal(nearby.near.size, 0);
});

test('updateAll drops someone near who is no longer in the roster', () => {
  const { people, nearby } = setUp(person('a', 100));
  people.delete('a');
  assert.equal(nearby.updateAll(), true);
  assert.equal(nearby.near.size, 0);
});

test('near people on the open floor without a call are capped', () => {
  const { nearby } = setUp(person('a', 50), person('b', 100), person('c', 400));
  assert.deepEqual(sorted(nearby.capped), ['a', 'b']);

  assert.equal(nearby.connected('a'), true);
  assert.deepEqual(sorted(nearby.capped), ['b']);
  assert.equal(nearby.connected('c'), false, 'a call with someone not near changes neither set');
  assert.deepEqual(sorted(nearby.peers), ['a', 'c']);

  assert.equal(nearby.disconnected('a'), true);
  assert.deepEqual(sorted(nearby.capped), ['a', 'b']);
  assert.deepEqual(sorted(nearby.near), ['a', 'b'], 'capped people are near all the same');
});

test('nobody in a room is capped: they are heard through the room', () => {
  const { people, nearby } = setUp(person('a', 50), person('b', 100));
  assert.deepEqual(sorted(nearby.capped), ['a', 'b']);

  // They walk into a room: still near (the nearby chat), not capped.
  people.set('a', person('a', 50, 0, { room: 'table-1' }));
  assert.equal(nearby.update(['a']), true);
  assert.deepEqual(sorted(nearby.near), ['a', 'b']);
  assert.deepEqual(sorted(nearby.capped), ['b']);

  // We walk into one: nobody is capped.
  people.set('me', person('me', 0, 0, { room: 'table-1' }));
  assert.equal(nearby.update(['me']), true);
  assert.equal(nearby.capped.size, 0);
  assert.deepEqual(sorted(nearby.near), ['a', 'b']);

  // And out again.
  people.set('me', person('me', 0));
  assert.equal(nearby.update(['me']), true);
  assert.deepEqual(sorted(nearby.capped), ['b']);
});

test('a welcome starts again: no calls, and near by the join radius', () => {
  const { people, nearby } = setUp(person('a', 50), person('b', 170));
  nearby.connected('a');
  people.get('b')!.x = 100;
  nearby.update(['b']);
  people.get('b')!.x = 170;
  nearby.update(['b']);
  assert.deepEqual(sorted(nearby.near), ['a', 'b']);

  nearby.reset('me', [0, 0], RADII);
  assert.equal(nearby.near.size, 0);
  assert.equal(nearby.peers.size, 0);
  assert.equal(nearby.updateAll(), true);
  assert.deepEqual(sorted(nearby.near), ['a']);
  assert.deepEqual(sorted(nearby.capped), ['a']);
});

test('nothing is near before we know where we are', () => {
  const people = new Map<string, INearbyPerson>([['a', person('a', 0)]]);
  const nearby = new Nearby(people);
  assert.equal(nearby.updateAll(), false);
  nearby.reset('me', null, RADII);
  assert.equal(nearby.updateAll(), false);
  assert.equal(nearby.moveTo([10, 0]), true);
  assert.deepEqual(sorted(nearby.near), ['a']);
});

test('walking up to someone: capped only once the server saw us there without pairing us', () => {
  const { nearby } = setUp(person('a', 400));
  assert.equal(nearby.moveTo([300, 0]), true, 'our avatar, ahead of the server, is near them');
  assert.deepEqual(sorted(nearby.near), ['a']);
  assert.deepEqual(sorted(nearby.capped), [], 'the server has not seen that step yet');

  // The batch with our step and the peer_connect of that tick.
  nearby.confirm([300, 0]);
  nearby.connected('a');
  assert.deepEqual(sorted(nearby.capped), []);

  // A full mesh: the server saw us near and did not pair us.
  nearby.disconnected('a');
  assert.deepEqual(sorted(nearby.capped), ['a']);

  // We walk away: no longer near, no longer capped, before the server says so.
  nearby.moveTo([0, 0]);
  assert.deepEqual(sorted(nearby.near), []);
  assert.deepEqual(sorted(nearby.capped), []);
});
