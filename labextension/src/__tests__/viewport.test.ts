import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { computeView, fitScale, stepZoom, toCanvas, toMap, ZOOM_LEVELS } from '../view/viewport';

const map = { mapWidth: 1600, mapHeight: 960 };

test('zoom 1 shows the whole map, as large as the space allows, centred', () => {
  // A sidebar: narrow and tall; the width decides.
  const side = computeView({ ...map, boxWidth: 320, boxHeight: 500, zoom: 1, centre: [0, 0] });
  assert.equal(side.scale, 0.2);
  assert.deepEqual([side.width, side.height], [320, 192]);
  assert.deepEqual([side.left, side.top], [0, (500 - 192) / 2]);
  assert.deepEqual([side.originX, side.originY], [0, 0]);
  // Beside a notebook: wide and short; the height decides.
  const main = computeView({ ...map, boxWidth: 1000, boxHeight: 480, zoom: 1, centre: [1500, 900] });
  assert.equal(main.scale, 0.5);
  assert.deepEqual([main.left, main.top, main.width, main.height], [100, 0, 800, 480]);
  assert.deepEqual([main.originX, main.originY], [0, 0], 'the centre does not matter when all is shown');
});

test('a space not laid out yet fits by width', () => {
  assert.equal(fitScale(320, 0, 1600, 960), 0.2);
  assert.equal(fitScale(0, 300, 1600, 960), 0);
  const v = computeView({ ...map, boxWidth: 0, boxHeight: 0, zoom: 2, centre: [0, 0] });
  assert.equal(v.scale, 0);
});

test('zoomed in, the view fills the space around the centre, within the map', () => {
  const v = computeView({ ...map, boxWidth: 320, boxHeight: 500, zoom: 3, centre: [800, 480] });
  assert.ok(Math.abs(v.scale - 0.6) < 1e-12);
  // 960 x 576 CSS pixels of map: larger than the box both ways.
  assert.deepEqual([v.left, v.width], [0, 320]);
  assert.ok(Math.abs(v.originX - (800 - 320 / 0.6 / 2)) < 1e-9);
  assert.deepEqual([v.top, v.height], [0, 500]);
  assert.ok(Math.abs(v.originY - (480 - 500 / 0.6 / 2)) < 1e-9);
  // Near a corner the view stops at the map's edges.
  const corner = computeView({ ...map, boxWidth: 320, boxHeight: 500, zoom: 3, centre: [10, 950] });
  assert.equal(corner.originX, 0);
  assert.ok(Math.abs(corner.originY - (960 - 500 / 0.6)) < 1e-9);
});

test('canvas and map points convert both ways', () => {
  const v = computeView({ ...map, boxWidth: 320, boxHeight: 500, zoom: 4, centre: [700, 400] });
  for (const [x, y] of [
    [700, 400],
    [650, 360],
    [760, 390]
  ]) {
    const [cx, cy] = toCanvas(v, x, y);
    const [mx, my] = toMap(v, cx, cy);
    assert.ok(Math.abs(mx - x) < 1e-9 && Math.abs(my - y) < 1e-9);
  }
  // The centre is drawn in the middle of the canvas.
  const [cx, cy] = toCanvas(v, 700, 400);
  assert.ok(Math.abs(cx - 160) < 1e-9 && Math.abs(cy - 250) < 1e-9);
});

test('zoom steps stay within the levels', () => {
  assert.equal(stepZoom(1, 1), 1.5);
  assert.equal(stepZoom(1.5, -1), 1);
  assert.equal(stepZoom(1, -1), 1);
  const top = ZOOM_LEVELS[ZOOM_LEVELS.length - 1];
  assert.equal(stepZoom(top, 1), top);
  assert.equal(stepZoom(2.5, 1), 3);
  assert.equal(stepZoom(2.5, -1), 2);
});
