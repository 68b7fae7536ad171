/**
 * The client's map rules against the vectors the server's rules are tested
 * with (tests/vectors/map_rules.json, read by tests/test_map_vectors.py too).
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';

import { blocked, pathClear, Point } from '../model/geometry';
import { fullRoomAt, roomAt } from '../model/rooms';
import { IMapInfo, IParticipantInfo } from '../protocol';

// build-test/__tests__/ -> the repository's tests/vectors/
const VECTORS = JSON.parse(
  readFileSync(resolve(__dirname, '..', '..', '..', 'tests', 'vectors', 'map_rules.json'), 'utf8')
);
const maps: Record<string, IMapInfo> = VECTORS.maps;

interface ICase {
  map: string;
  why?: string;
  [key: string]: any;
}

function name(c: ICase): string {
  return `${c.map} ${JSON.stringify(c.point ?? c.from)}${c.why ? `: ${c.why}` : ''}`;
}

function person(id: string, room: string | null, role: 'student' | 'instructor' = 'student'): IParticipantInfo {
  return {
    id,
    user: id,
    name: id,
    initials: id.slice(0, 2),
    color: '#000',
    role,
    x: 0,
    y: 0,
    status: 'available',
    hand: false,
    mic: false,
    camera: false,
    screen: false,
    connection: 'online',
    room
  };
}

describe('inside bounds', () => {
  for (const c of VECTORS.inside_bounds as ICase[]) {
    test(name(c), () => {
      assert.equal(blocked(maps[c.map], c.point[0], c.point[1], c.radius), !c.inside);
    });
  }
});

describe('wall hit', () => {
  for (const c of VECTORS.blocked as ICase[]) {
    test(name(c), () => {
      assert.equal(blocked(maps[c.map], c.point[0], c.point[1], c.radius), c.blocked);
    });
  }
});

describe('path clear between two points', () => {
  for (const c of VECTORS.path_clear as ICase[]) {
    test(name(c), () => {
      assert.equal(pathClear(maps[c.map], c.from[0], c.from[1], c.to[0], c.to[1], c.radius), c.clear);
    });
  }
});

describe('which room a point is in', () => {
  for (const c of VECTORS.room_at as ICase[]) {
    test(name(c), () => {
      assert.equal(roomAt(maps[c.map].rooms, c.point[0], c.point[1])?.id ?? null, c.room);
    });
  }
});

describe('room full', () => {
  for (const c of VECTORS.room_full as ICase[]) {
    test(name(c), () => {
      const others = (c.others as { room: string | null; role?: 'student' | 'instructor' }[]).map((o, i) =>
        person(`other${i}`, o.room, o.role ?? 'student')
      );
      const me = person('mover', c.mover.room, c.mover.role);
      // The capacity as the server's owner set it, whatever the server sends.
      const capacities: Record<string, number> = c.capacities ?? {};
      const rooms = maps[c.map].rooms.map(r => (r.id in capacities ? { ...r, capacity: capacities[r.id] } : r));
      const full = fullRoomAt(rooms, [...others, me], me, c.point[0], c.point[1]);
      assert.equal(full?.id ?? null, c.full);
    });
  }
});

describe('spawn in free space', () => {
  for (const c of VECTORS.spawn as ICase[]) {
    test(`${c.map} radius ${c.radius}`, () => {
      // Whether any whole-pixel spot of the spawn area (or its centre) is free.
      const map = maps[c.map];
      const s = map.spawn;
      const spots: Point[] = [[s.x + s.width / 2, s.y + s.height / 2]];
      for (let y = Math.ceil(s.y); y <= s.y + s.height; y++) {
        for (let x = Math.ceil(s.x); x <= s.x + s.width; x++) {
          spots.push([x, y]);
        }
      }
      assert.equal(
        spots.some(([x, y]) => !blocked(map, x, y, c.radius)),
        c.free
      );
    });
  }
});
