import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { ILabelRequest, overlaps, placeLabels } from '../model/labels';

const bounds = { x: 0, y: 0, width: 1600, height: 960 };
const R = 16;

function table(n: number, width = 120, height = 18): ILabelRequest[] {
  // Eight people seated close round a table (Table 2 of the default map).
  return Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    x: 700 + (i % 4) * 60,
    y: 420 + Math.floor(i / 4) * 70,
    widths: [width],
    height,
    rank: i
  }));
}

function checkNoOverlap(requests: ILabelRequest[], placed: ReturnType<typeof placeLabels>): void {
  for (let i = 0; i < placed.length; i++) {
    for (let j = i + 1; j < placed.length; j++) {
      assert.ok(!overlaps(placed[i], placed[j]), `${placed[i].id} and ${placed[j].id} overlap`);
    }
    const essential = requests.find(r => r.id === placed[i].id)?.essential;
    for (const r of requests) {
      if (r.id !== placed[i].id && !essential) {
        const disc = { x: r.x - R, y: r.y - R, width: 2 * R, height: 2 * R };
        assert.ok(!overlaps(placed[i], disc), `${placed[i].id} covers ${r.id}`);
      }
    }
  }
}

test('eight people at a table: no label over another, most of them shown', () => {
  const requests = table(8);
  const placed = placeLabels(requests, R, 4, bounds);
  checkNoOverlap(requests, placed);
  assert.ok(placed.length >= 6, `only ${placed.length} labels shown`);
});

test('everyone on one spot: one label, the most important', () => {
  const requests = Array.from({ length: 8 }, (_, i) => ({
    id: `p${i}`,
    x: 800,
    y: 500,
    widths: [100],
    height: 18,
    rank: 8 - i
  }));
  const placed = placeLabels(requests, R, 4, bounds);
  checkNoOverlap(requests, placed);
  assert.ok(placed.length >= 1);
  assert.equal(placed[0].id, 'p7'); // the lowest rank goes first
});

test('huge labels (a small map) never overlap either', () => {
  const requests = table(8, 500, 60);
  const placed = placeLabels(requests, R, 4, bounds);
  checkNoOverlap(requests, placed);
});

test('labels stay inside the map and keep their place when it still fits', () => {
  const corner = [{ id: 'a', x: 20, y: 940, widths: [200], height: 18, rank: 0 }];
  const [a] = placeLabels(corner, R, 4, bounds);
  assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.width <= 1600 && a.y + a.height <= 960);
  const requests = table(8);
  const first = placeLabels(requests, R, 4, bounds);
  const again = placeLabels(requests, R, 4, bounds, new Map(first.map(p => [p.id, p.slot])));
  assert.deepEqual(again, first);
  // One alone stays above, where it was, rather than going below.
  const [alone] = placeLabels(
    [{ id: 'a', x: 800, y: 500, widths: [100], height: 18, rank: 0 }],
    R,
    4,
    bounds,
    new Map([['a', 1]])
  );
  assert.equal(alone.slot, 1);
});

test('our own name is shown even where it must cover someone, never over another name', () => {
  const requests = table(8, 500, 60).map(r => (r.id === 'p5' ? { ...r, rank: -1, essential: true } : r));
  const placed = placeLabels(requests, R, 4, bounds);
  checkNoOverlap(requests, placed);
  assert.equal(placed[0].id, 'p5');
});
