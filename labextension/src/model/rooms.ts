/**
 * Rooms as the client sees them: which one is at a point and whether it is
 * full. Pure functions, so the server's rule can be predicted (and tested)
 * without a browser.
 */

import { IParticipantInfo, IRoomInfo } from '../protocol';
import { inPolygon } from './geometry';

/** The room at a point, if any. */
export function roomAt(rooms: IRoomInfo[], x: number, y: number): IRoomInfo | null {
  return rooms.find(r => inPolygon(r.polygon, x, y)) ?? null;
}

/**
 * The room at a point that `me` may not enter because it is full, if any: as
 * on the server, people already inside and instructors are never refused.
 */
export function fullRoomAt(
  rooms: IRoomInfo[],
  participants: Iterable<IParticipantInfo>,
  me: IParticipantInfo,
  x: number,
  y: number
): IRoomInfo | null {
  const room = roomAt(rooms, x, y);
  if (!room || !room.capacity || room.id === me.room || me.role === 'instructor') {
    return null;
  }
  let inside = 0;
  for (const p of participants) {
    if (p.room === room.id) {
      inside++;
    }
  }
  return inside >= room.capacity ? room : null;
}
