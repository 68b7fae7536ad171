import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import {
  backoffDelay,
  RESTART_ATTEMPTS,
  retryDelay,
  blocked,
  findPath,
  IGeometry,
  inPolygon,
  interpolate,
  pathClear,
  slide
} from '../model/geometry';

// A 400x200 room with a wall down the middle that leaves a gap at the bottom.
const map: IGeometry = {
  width: 400,
  height: 200,
  walls: [{ x: 190, y: 0, width: 20, height: 140 }]
};

test('walls and edges block a circle', () => {
  assert.ok(blocked(map, 200, 50, 10));
  assert.ok(blocked(map, 5, 100, 10));
  assert.ok(!blocked(map, 100, 100, 10));
});

test('sliding along a wall keeps the free axis', () => {
  // Pushing right and down into the wall: only the downward part happens.
  assert.deepEqual(slide(map, 170, 50, 15, 10, 10), [170, 60]);
  assert.deepEqual(slide(map, 100, 100, 5, 0, 10), [105, 100]);
});

test('a path goes around the wall and every leg is clear', () => {
  const path = findPath(map, [100, 40], [300, 40], 10)!;
  assert.ok(path, 'a path exists');
  assert.deepEqual(path[path.length - 1], [300, 40]);
  let here: [number, number] = [100, 40];
  for (const p of path) {
    assert.ok(pathClear(map, here[0], here[1], p[0], p[1], 10), `leg to ${p}`);
    here = p;
  }
  assert.ok(
    path.some(([, y]) => y > 140),
    'it goes through the gap'
  );
});

test('no path into a closed box', () => {
  const boxed: IGeometry = {
    width: 400,
    height: 200,
    walls: [{ x: 190, y: 0, width: 20, height: 200 }]
  };
  const path = findPath(boxed, [100, 40], [300, 40], 10);
  // The goal is unreachable: the nearest free spot on our side is the best we can do,
  // or no path at all; never a path through the wall.
  if (path) {
    for (const [x] of path) {
      assert.ok(x < 190);
    }
  }
});

test('point in polygon', () => {
  const tri: [number, number][] = [
    [0, 0],
    [10, 0],
    [0, 10]
  ];
  assert.ok(inPolygon(tri, 2, 2));
  assert.ok(!inPolygon(tri, 8, 8));
});

test('interpolation between samples, clamped at the ends', () => {
  const s = [
    { t: 0, x: 0, y: 0 },
    { t: 100, x: 10, y: 20 }
  ];
  assert.deepEqual(interpolate(s, 50), [5, 10]);
  assert.deepEqual(interpolate(s, -5), [0, 0]);
  assert.deepEqual(interpolate(s, 500), [10, 20]);
  assert.equal(interpolate([], 0), null);
});

test('backoff grows to a cap with jitter', () => {
  const mid = () => 0.5;
  assert.equal(backoffDelay(0, mid), 500);
  assert.equal(backoffDelay(3, mid), 4000);
  assert.equal(backoffDelay(20, mid), 10000);
  assert.equal(
    backoffDelay(0, () => 0),
    375
  );
  assert.equal(
    backoffDelay(0, () => 1),
    625
  );
});

test('while the server restarts, tries come steadily about a second apart', () => {
  const mid = () => 0.5;
  for (const attempt of [0, 5, 40, RESTART_ATTEMPTS - 1]) {
    assert.equal(retryDelay(attempt, true, mid), 800);
    assert.ok(retryDelay(attempt, true, () => 1) <= 1000);
    assert.ok(retryDelay(attempt, true, () => 0) >= 600);
  }
  // Then (and after any other drop) the usual backoff.
  assert.equal(retryDelay(RESTART_ATTEMPTS, true, mid), backoffDelay(RESTART_ATTEMPTS, mid));
  assert.equal(retryDelay(3, false, mid), backoffDelay(3, mid));
});
