import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { IDisc, spreadDiscs } from '../model/spread';

function apart(all: readonly IDisc[], spots: Map<string, [number, number]>, gap: number): void {
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const [ax, ay] = spots.get(all[i].id)!;
      const [bx, by] = spots.get(all[j].id)!;
      const d = Math.hypot(bx - ax, by - ay);
      assert.ok(d >= all[i].r + all[j].r + gap - 0.01, `${all[i].id} and ${all[j].id} are ${d.toFixed(1)} apart`);
    }
  }
}

/** Discs from rows of id, x, y, radius (and whether it is fixed). */
function discs(...rows: [string, number, number, number, boolean?][]): IDisc[] {
  return rows.map(([id, x, y, r, fixed]) => ({ id, x, y, r, fixed }));
}

test('neighbours at a table drawn larger than their seats are apart are drawn side by side', () => {
  // Three seats 35 map units apart, avatars drawn 37 units round (a small panel's whole map).
  const table = discs(['ben', 720, 470, 37], ['dan', 755, 470, 37], ['cleo', 790, 470, 59]);
  const spots = spreadDiscs(table, 7);
  apart(table, spots, 7);
  // Still in the seats' order, around where they sit.
  const xs = ['ben', 'dan', 'cleo'].map(id => spots.get(id)![0]);
  assert.ok(xs[0] < xs[1] && xs[1] < xs[2]);
  const mean = xs.reduce((a, b) => a + b) / 3;
  assert.ok(Math.abs(mean - 755) < 40);
});

test('our own avatar stays where it is; the others give way', () => {
  const three = discs(['me', 100, 100, 20, true], ['a', 110, 100, 20], ['b', 100, 100, 20]);
  const spots = spreadDiscs(three, 4);
  assert.deepEqual(spots.get('me'), [100, 100]);
  apart(three, spots, 4);
});

test('people apart keep their place, and the result does not depend on the order given', () => {
  const three = discs(['x', 0, 0, 10], ['y', 100, 0, 10], ['z', 105, 3, 10]);
  const one = spreadDiscs(three, 2);
  const two = spreadDiscs([...three].reverse(), 2);
  assert.deepEqual(one.get('x'), [0, 0]);
  assert.deepEqual([...one.entries()].sort(), [...two.entries()].sort());
  apart(three, one, 2);
});

test('a crowd on one spot, or along a row of seats, spreads out with no two overlapping', () => {
  const crowd: IDisc[] = Array.from({ length: 12 }, (_, i) => ({ id: `p${i}`, x: 500, y: 500, r: 16 }));
  apart(crowd, spreadDiscs(crowd, 3), 3);
  const row: IDisc[] = Array.from({ length: 8 }, (_, i) => ({ id: `s${i}`, x: 300 + 35 * i, y: 400, r: 37 }));
  apart(row, spreadDiscs(row, 7), 7);
});
