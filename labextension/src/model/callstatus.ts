/**
 * How our room's call is doing, in one word for the views: the map's badge
 * and our own entry in the participant list say it where people look, and
 * warn when the call does not connect.
 */

/** Seconds a room's call may take to connect before people are warned. */
export const CALL_WARN_MS = 8000;

export type CallStatus =
  /** On the open floor: no room, no room call. */
  | 'none'
  /** In a room on a server whose rooms have no calls. */
  | 'chat-only'
  /** Connecting, not yet for long. */
  | 'joining'
  | 'connected'
  /** Not connected for `CALL_WARN_MS`, or the connection failed. */
  | 'not-connected'
  /** In a room, but the classroom's own socket is down: nothing about the call can be trusted. */
  | 'offline';

export interface ICallInput {
  /** The room we stand in (null: the open floor). */
  room: string | null;
  /** Whether this server gives rooms calls. */
  roomMedia: boolean;
  /** The room connection's state (`RoomConnection.state`). */
  state: 'none' | 'connecting' | 'connected' | 'failed';
  /** Milliseconds since we entered the room or the call was last connected, whichever is later. */
  waitingFor: number;
  /** Whether the classroom's socket is connected (absent: it is). */
  online?: boolean;
}

export function callStatus(input: ICallInput): CallStatus {
  if (!input.room) {
    return 'none';
  }
  if (input.online === false) {
    // The server that runs the room's call is not answering us: a call that
    // still looks connected is on its way out, and green would be a lie.
    return 'offline';
  }
  if (!input.roomMedia) {
    return 'chat-only';
  }
  if (input.state === 'connected') {
    return 'connected';
  }
  if (input.state === 'failed' || input.waitingFor >= CALL_WARN_MS) {
    return 'not-connected';
  }
  return 'joining';
}
