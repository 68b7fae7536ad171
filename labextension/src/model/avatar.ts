import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IClientConfig, IMapInfo, IRoomInfo } from '../protocol';
import type { IOwnAvatar } from '../tokens';
import { ClassroomConnection } from './connection';
import { findPath, Point, slide } from './geometry';
import { Roster } from './roster';
import { fullRoomAt, roomAt } from './rooms';

/** The client keeps this margin from walls so the server never refuses a move. */
const MARGIN = 1;

export type Direction = 'up' | 'down' | 'left' | 'right';

/**
 * Our own avatar: moved locally at once (keys or a path around walls), sent
 * to the server at its rate, put back where the server says on a correction.
 */
export class OwnAvatar implements IOwnAvatar {
  constructor(
    readonly connection: ClassroomConnection,
    readonly roster: Roster
  ) {
    this._listeners = [
      connection.on('positions', m => {
        if (!m.correction) {
          return;
        }
        for (const pos of m.moves) {
          if (pos.id === roster.myId) {
            const goal = this._path.length ? this._path[this._path.length - 1] : null;
            this._pos = [pos.x, pos.y];
            this._path = [];
            roster.setOwnPosition(this._pos);
            // Put on a seat of a table we were walking through: walk on to
            // where we were going (a table we were going to: we sit).
            const seated = this._map ? seatedAt(this._map.rooms, pos.x, pos.y) : null;
            if (goal && seated && roomAt(this._map!.rooms, goal[0], goal[1])?.id !== seated.id) {
              this._walk(goal[0], goal[1]);
            }
            this._corrected.emit();
          }
        }
      })
    ];
    connection.stateChanged.connect((_, state) => {
      if (state.status !== 'connected') {
        this._keys.clear();
      }
    }, this);
  }

  /** We walked into a room or out onto the open floor (predicted; the server confirms). */
  get roomEntered(): ISignal<this, IRoomInfo | null> {
    return this._roomEntered;
  }
  /** A full room stopped us (once per try). */
  get roomRefused(): ISignal<this, IRoomInfo> {
    return this._roomRefused;
  }
  /** We steered ourselves: a movement key, or a point to walk to. */
  get steered(): ISignal<this, void> {
    return this._steered;
  }
  /** The server put us back somewhere else. */
  get corrected(): ISignal<this, void> {
    return this._corrected;
  }

  /** Where we are (null before joining). */
  get position(): Point | null {
    return this._pos;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Start from where the server's welcome put us. */
  place(map: IMapInfo, config: IClientConfig, at: Point, room: string | null): void {
    this._map = map;
    this._config = config;
    this._pos = at;
    this._predictedRoom = room;
    this._path = [];
    this._wake();
  }

  setKey(direction: Direction, pressed: boolean): void {
    if (pressed) {
      this._keys.add(direction);
      this._path = [];
      this._steered.emit();
      this._wake();
    } else {
      this._keys.delete(direction);
    }
  }

  releaseKeys(): void {
    this._keys.clear();
  }

  /** Stop walking along a path (keys held still count). */
  halt(): void {
    this._path = [];
  }

  /** Walk to a map point along a path around walls. Returns false if unreachable. */
  walkTo(x: number, y: number): boolean {
    this._steered.emit();
    return this._walk(x, y);
  }

  private _walk(x: number, y: number): boolean {
    if (!this._map || !this._config || !this._pos) {
      return false;
    }
    const path = findPath(this._map, this._pos, [x, y], this._config.avatar_radius + MARGIN);
    if (!path) {
      return false;
    }
    this._path = path;
    this._wake();
    return true;
  }

  /** Walk up next to another participant. */
  goTo(id: string): boolean {
    this._steered.emit();
    return this.approach(id);
  }

  /** Walk up next to another participant on someone else's behalf (following them): not steering. */
  approach(id: string): boolean {
    const target = this.roster.lastKnown(id);
    if (!target || !this._config) {
      return false;
    }
    const gap = this._config.avatar_radius * 2.5;
    for (const [dx, dy] of [
      [0, gap],
      [-gap, 0],
      [gap, 0],
      [0, -gap],
      [gap, gap],
      [-gap, gap]
    ]) {
      if (this._walk(target[0] + dx, target[1] + dy)) {
        return true;
      }
    }
    return false;
  }

  /** The room at a point that we may not enter because it is full, if any. */
  fullRoomAt(x: number, y: number): IRoomInfo | null {
    const me = this.roster.me;
    return this._map && me ? fullRoomAt(this._map.rooms, this.roster.participants.values(), me, x, y) : null;
  }

  /**
   * Advance (keys or path) and send the position at the server's rate; true
   * while we are moving. Our own clock calls it every animation frame while
   * we walk or have a position to send (see `_wake`).
   */
  tick(now: number): boolean {
    const last = this._lastTick || now;
    this._lastTick = now;
    if (!this._map || !this._config || !this._pos) {
      return false;
    }
    const dt = Math.min(0.1, (now - last) / 1000);
    const step = this._config.speed * dt;
    const r = this._config.avatar_radius + MARGIN;
    let [x, y] = this._pos;
    if (this._keys.size) {
      let dx = (this._keys.has('right') ? 1 : 0) - (this._keys.has('left') ? 1 : 0);
      let dy = (this._keys.has('down') ? 1 : 0) - (this._keys.has('up') ? 1 : 0);
      const len = Math.hypot(dx, dy);
      if (len) {
        dx = (dx / len) * step;
        dy = (dy / len) * step;
        [x, y] = slide(this._map, x, y, dx, dy, r);
      }
    } else if (this._path.length) {
      let budget = step;
      while (budget > 0 && this._path.length) {
        const [tx, ty] = this._path[0];
        const d = Math.hypot(tx - x, ty - y);
        if (d <= budget) {
          [x, y] = [tx, ty];
          budget -= d;
          this._path.shift();
        } else {
          [x, y] = slide(this._map, x, y, ((tx - x) / d) * budget, ((ty - y) / d) * budget, r);
          budget = 0;
        }
      }
    }
    const full = this.fullRoomAt(x, y);
    if (full) {
      // A full room is a wall for us.
      [x, y] = this._pos;
      this._path = [];
      if (full.id !== this._refusedRoom) {
        this._refusedRoom = full.id;
        this._roomRefused.emit(full);
      }
    } else {
      this._refusedRoom = null;
    }
    let moved = false;
    if (x !== this._pos[0] || y !== this._pos[1]) {
      this._pos = [x, y];
      moved = true;
      this._pending = true;
      this._predictRoom();
      // Who is near us follows where we are, not where the server last saw us.
      this.roster.setOwnPosition(this._pos);
    }
    const interval = 1000 / this._config.position_rate_hz;
    if (this._pending && now - this._lastSent >= interval) {
      this._lastSent = now;
      this._pending = false;
      this.connection.send({ type: 'move', x: Math.round(x * 10) / 10, y: Math.round(y * 10) / 10 });
    }
    return moved || this._keys.size > 0 || this._path.length > 0;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    if (this._frame) {
      cancelAnimationFrame(this._frame);
      this._frame = 0;
    }
    this._listeners.forEach(l => l.dispose());
    Signal.clearData(this);
  }

  /**
   * Run our clock: a step every animation frame while a key is held, a path
   * is left or a position waits to be sent, then rest. It starts at no time
   * elapsed, so a rest is not walked through at once.
   */
  private _wake(): void {
    if (this._frame || this._disposed || typeof requestAnimationFrame === 'undefined') {
      return;
    }
    this._lastTick = 0;
    this._frame = requestAnimationFrame(this._step);
  }

  private _step = (now: number): void => {
    this._frame = 0;
    if (this.tick(now) || this._pending) {
      this._frame = requestAnimationFrame(this._step);
    }
  };

  private _predictRoom(): void {
    const room = roomAt(this._map!.rooms, this._pos![0], this._pos![1]);
    const id = room?.id ?? null;
    if (id !== this._predictedRoom) {
      this._predictedRoom = id;
      this._roomEntered.emit(room);
    }
  }

  private _listeners: IDisposable[];
  private _map: IMapInfo | null = null;
  private _config: IClientConfig | null = null;
  private _pos: Point | null = null;
  private _predictedRoom: string | null = null;
  private _refusedRoom: string | null = null;
  private _path: Point[] = [];
  private _keys = new Set<Direction>();
  private _lastTick = 0;
  private _frame = 0;
  private _lastSent = 0;
  private _pending = false;
  private _disposed = false;
  private _roomEntered = new Signal<this, IRoomInfo | null>(this);
  private _steered = new Signal<this, void>(this);
  private _roomRefused = new Signal<this, IRoomInfo>(this);
  private _corrected = new Signal<this, void>(this);
}

/** The table whose seat is at (x, y), if any. */
function seatedAt(rooms: IRoomInfo[], x: number, y: number): IRoomInfo | null {
  const room = roomAt(rooms, x, y);
  return room?.seats?.some(([sx, sy]) => Math.abs(sx - x) < 0.05 && Math.abs(sy - y) < 0.05) ? room : null;
}
