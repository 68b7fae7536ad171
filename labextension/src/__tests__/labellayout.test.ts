import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import {
  boxOf,
  IBox,
  ILabelRequest,
  IPlacedLabel,
  IPlacedRoomLabel,
  overlaps,
  placeLabels,
  placeRoomLabels,
  roomNameForms
} from '../model/labels';

/** The default map's rooms (jupyter_classroom/maps/classroom.json). */
const MAP = { x: 0, y: 0, width: 1600, height: 960 };
const ROOMS: { id: string; name: string; box: IBox }[] = [
  { id: 'stage', name: 'Stage', box: { x: 440, y: 56, width: 720, height: 180 } },
  ...[0, 1].flatMap(row =>
    [0, 1, 2].map(col => ({
      id: `table-${row * 3 + col + 1}`,
      name: `Table ${row * 3 + col + 1}`,
      box: { x: 140 + col * 510, y: 360 + row * 320, width: 300, height: 190 }
    }))
  )
];

/** A table's eight seats (the chairs: four above the table, four below). */
function seats(table: number): [number, number][] {
  const col = (table - 1) % 3;
  const row = Math.floor((table - 1) / 3);
  const x0 = [240, 752, 1264][col];
  const [top, bottom] = row === 0 ? [400, 496] : [720, 816];
  return [0, 1, 2, 3].flatMap(i => [
    [x0 + 32 * i, top],
    [x0 + 32 * i, bottom]
  ]) as [number, number][];
}

/** Text width as a browser's sans-serif roughly has it. */
const measure = (text: string, size: number) => [...text].length * size * 0.6;

/** The map's sizes at a scale (CSS pixels per map unit), as map.ts works them out. */
function sizes(scale: number) {
  return { room: Math.max(22, 11 / scale), label: Math.max(16, 11 / scale), radius: Math.max(16, 9 / scale) };
}

/** The view's buttons in the top-right corner of the view, 150 x 32 CSS pixels. */
function controls(scale: number): IBox {
  return { x: MAP.width - 160 / scale, y: 8 / scale, width: 150 / scale, height: 32 / scale };
}

function layout(scale: number, people: [number, number][], names: (i: number) => string) {
  const { room, label, radius } = sizes(scale);
  const obstacles = [controls(scale)];
  const rooms = placeRoomLabels(
    ROOMS.map(r => ({
      id: r.id,
      room: r.box,
      widths: roomNameForms(r.name).map(f => measure(f, room) + room * 0.4),
      height: room * 1.25
    })),
    room * 0.15,
    MAP,
    obstacles
  );
  const requests: ILabelRequest[] = people.map(([x, y], i) => ({
    id: `p${i}`,
    x,
    y,
    widths: [names(i), names(i).split(' ')[0]].map(t => measure(t, label) + label * 0.4),
    height: label * 1.2,
    rank: i === 0 ? 0 : 4,
    essential: i === 0
  }));
  const placed = placeLabels(requests, radius, label * 0.15, MAP, new Map(), [...rooms, ...obstacles]);
  return { rooms, placed, requests, obstacles, radius };
}

function check(rooms: IPlacedRoomLabel[], placed: IPlacedLabel[], obstacles: IBox[], what: string): void {
  const all: IBox[] = [...rooms, ...placed];
  for (let i = 0; i < all.length; i++) {
    const a = all[i] as IBox & { id: string };
    assert.ok(
      a.x >= 0 && a.y >= 0 && a.x + a.width <= MAP.width + 1e-9 && a.y + a.height <= MAP.height + 1e-9,
      `${what}: ${a.id} leaves the map`
    );
    for (const o of obstacles) {
      assert.ok(!overlaps(a, o), `${what}: ${a.id} is under the map's buttons`);
    }
    for (let j = i + 1; j < all.length; j++) {
      const b = all[j] as IBox & { id: string };
      assert.ok(!overlaps(a, b), `${what}: ${a.id} and ${b.id} overlap`);
    }
  }
}

const SCALES = [0.14, 0.2, 0.35, 0.5, 0.8, 1, 1.5, 2.5];

const CROWDS: Record<string, [number, number][]> = {
  'three at a table': seats(5).slice(0, 3),
  'a full table': seats(5),
  'two full tables side by side': [...seats(1), ...seats(2)],
  'a crowd at the door': Array.from({ length: 24 }, (_, i) => [740 + (i % 6) * 40, 860 + Math.floor(i / 6) * 20]),
  'everyone on one spot': Array.from({ length: 6 }, () => [800, 500]),
  'a class spread out': Array.from({ length: 60 }, (_, i) => [60 + ((i * 137) % 1480), 80 + ((i * 71) % 820)])
};

for (const [shape, people] of Object.entries(CROWDS)) {
  test(`no label covers another or a room's name: ${shape}, at every zoom`, () => {
    for (const scale of SCALES) {
      const { rooms, placed, obstacles } = layout(scale, people, i => `Anonymous Person${i} Long`);
      check(rooms, placed, obstacles, `${shape} at ${scale}`);
    }
  });
}

test("every room's name shows at every zoom, shortened where its room is narrow", () => {
  for (const scale of SCALES) {
    const { rooms } = layout(scale, [], () => '');
    assert.equal(rooms.length, ROOMS.length, `at ${scale}, ${rooms.length} room names`);
  }
  // In a sidebar (the whole map 230 px wide) "Table 5" is wider than its table: "5".
  const small = layout(0.14, [], () => '').rooms.find(r => r.id === 'table-5')!;
  assert.equal(small.variant, 1);
  const large = layout(1, [], () => '').rooms.find(r => r.id === 'table-5')!;
  assert.equal(large.variant, 0);
});

test("the stage's name moves away from the map's buttons", () => {
  const scale = 0.14;
  const { rooms, obstacles } = layout(scale, [], () => '');
  const stage = rooms.find(r => r.id === 'stage')!;
  assert.ok(!overlaps(stage, obstacles[0]));
  // Beside the stage, as near it as it can be.
  assert.ok(stage.x + stage.width <= ROOMS[0].box.x && stage.y >= ROOMS[0].box.y);
});

test("a room's name moves off someone standing where it would go, and lies under them when no other place fits", () => {
  const { room } = sizes(0.3);
  const request = {
    id: 'stage',
    room: ROOMS[0].box,
    widths: [measure('Stage', room) + room * 0.4],
    height: room * 1.25
  };
  const first = placeRoomLabels([request], room * 0.15, MAP)[0];
  // Someone on the spot it takes when nobody is there.
  const avatar = { x: first.x + 4, y: first.y + 4, width: 60, height: 60 };
  const moved = placeRoomLabels([request], room * 0.15, MAP, [], [avatar])[0];
  assert.ok(moved && !overlaps(moved, avatar));
  assert.equal(moved.under, false);
  assert.equal(first.under, false);
  // Everyone everywhere: still shown, in its first place, but beneath the
  // avatars (a name on the floor beats no name at all, and hides nobody).
  const crowd = placeRoomLabels([request], room * 0.15, MAP, [], [MAP])[0];
  assert.deepEqual(crowd, { ...first, under: true });
});

test('names are laid out in the part of the map in view', () => {
  const { room } = sizes(1);
  const request = {
    id: 'stage',
    room: ROOMS[0].box,
    widths: [measure('Stage', room) + room * 0.4],
    height: room * 1.25
  };
  const whole = placeRoomLabels([request], room * 0.15, MAP)[0];
  // Zoomed in on the room's lower part: its usual place (a tab above it) is
  // out of view; it takes one in view.
  const box = ROOMS[0].box;
  const shown = { x: box.x, y: whole.y + whole.height + 1, width: MAP.width - box.x, height: MAP.height };
  const inView = placeRoomLabels([request], room * 0.15, shown)[0];
  assert.ok(inView, 'placed');
  assert.ok(inView.y >= shown.y && inView.x >= shown.x, JSON.stringify(inView));
});

test('three at a table: all three names shown, shortened if need be, and ours always', () => {
  for (const scale of [0.35, 0.5, 1, 1.5, 2.5]) {
    const { placed } = layout(scale, seats(5).slice(0, 3), i => ['Kore (you)', 'Kalyke', 'Ada Lovelace'][i]);
    assert.equal(placed.length, 3, `at ${scale}`);
  }
  for (const scale of SCALES) {
    const { placed } = layout(scale, seats(5), i => (i === 0 ? 'Kore (you)' : `Person ${i}`));
    assert.ok(
      placed.some(p => p.id === 'p0'),
      `ours is hidden at ${scale}`
    );
  }
});

test('a shorter form is taken before a name is left out', () => {
  const requests: ILabelRequest[] = [
    { id: 'a', x: 100, y: 100, widths: [120], height: 18, rank: 0 },
    { id: 'b', x: 100, y: 160, widths: [400, 40], height: 18, rank: 1 }
  ];
  // A narrow strip: the long form of b fits nowhere.
  const placed = placeLabels(requests, 16, 2, { x: 0, y: 0, width: 200, height: 400 });
  const b = placed.find(p => p.id === 'b');
  assert.ok(b && b.variant === 1 && b.width === 40);
});

test("room names' shorter forms", () => {
  assert.deepEqual(roomNameForms('Table 12'), ['Table 12', '12']);
  assert.deepEqual(roomNameForms('Stage'), ['Stage', 'Sta…']);
  assert.deepEqual(roomNameForms('Breakout lounge'), ['Breakout lounge', 'Breako…', 'Bre…']);
  assert.deepEqual(
    boxOf([
      [1, 2],
      [5, 2],
      [3, 9]
    ]),
    { x: 1, y: 2, width: 4, height: 7 }
  );
});
