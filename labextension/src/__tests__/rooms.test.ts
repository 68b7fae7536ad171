import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { fullRoomAt, roomAt } from '../model/rooms';
import { IParticipantInfo, IRoomInfo } from '../protocol';

const table: IRoomInfo = {
  id: 'table-1',
  name: 'Table 1',
  kind: 'table',
  capacity: 2,
  polygon: [
    [0, 0],
    [100, 0],
    [100, 100],
    [0, 100]
  ]
};
const stage: IRoomInfo = {
  id: 'stage',
  name: 'Stage',
  kind: 'stage',
  capacity: null,
  polygon: [
    [200, 0],
    [300, 0],
    [300, 100],
    [200, 100]
  ]
};

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

test('the room at a point', () => {
  assert.equal(roomAt([table, stage], 50, 50)?.id, 'table-1');
  assert.equal(roomAt([table, stage], 250, 50)?.id, 'stage');
  assert.equal(roomAt([table, stage], 150, 50), null);
});

test('a full room refuses newcomers, not those inside nor instructors', () => {
  const rooms = [table, stage];
  const inside = [person('a', 'table-1'), person('b', 'table-1')];
  const me = person('me', null);
  assert.equal(fullRoomAt(rooms, [...inside, me], me, 50, 50)?.id, 'table-1');
  assert.equal(fullRoomAt(rooms, [inside[0], me], me, 50, 50), null);
  assert.equal(fullRoomAt(rooms, inside, inside[0], 60, 60), null);
  const prof = person('prof', null, 'instructor');
  assert.equal(fullRoomAt(rooms, [...inside, prof], prof, 50, 50), null);
  // No capacity: never full.
  assert.equal(fullRoomAt(rooms, [...inside, me], me, 250, 50), null);
});
