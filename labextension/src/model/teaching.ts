import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IClassState } from '../protocol';
import type { IOwnAvatar, IRoster } from '../tokens';
import type { ClassroomConnection } from './connection';

/** Seconds as a countdown reads them: "4:05" (rounded up, never below zero). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * What the instructors set for the class (locks, hands, locked rooms, the
 * announcement, breakouts, the broadcast), as the server last said, with the
 * moment the breakout timer ends on this browser's clock.
 */
export class ClassStateTracker implements IDisposable {
  constructor(connection: ClassroomConnection) {
    this._listeners = [
      connection.on('welcome', m => this._set(m.classroom ?? null)),
      connection.on('class_updated', m => this._set(m.state))
    ];
  }

  /** The class state changed. */
  get changed(): ISignal<this, IClassState | null> {
    return this._changed;
  }
  get state(): IClassState | null {
    return this._state;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Seconds left on the breakout timer at `now` (ms, Date.now()); null without a timer. */
  secondsLeft(now: number = Date.now()): number | null {
    return this._endsAt === null ? null : Math.max(0, (this._endsAt - now) / 1000);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._listeners.forEach(l => l.dispose());
    Signal.clearData(this);
  }

  private _set(state: IClassState | null): void {
    this._state = state;
    const left = state?.breakout?.seconds_left;
    // The server counts the seconds left as of sending; the end is kept on our clock.
    this._endsAt = left === null || left === undefined ? null : Date.now() + left * 1000;
    this._changed.emit(state);
  }

  private _listeners: IDisposable[];
  private _state: IClassState | null = null;
  private _endsAt: number | null = null;
  private _disposed = false;
  private _changed = new Signal<this, IClassState | null>(this);
}

/** Why following stopped. */
export type FollowEnd = 'stopped' | 'moved' | 'left' | 'room';

/**
 * Our avatar walks after another participant, through ordinary moves: each
 * time they move away, we walk up next to them again. It stops when asked,
 * when we steer ourselves, when they leave, and when they go where we may not
 * (a full room, or a locked one for a student).
 */
export class Follower implements IDisposable {
  constructor(
    readonly avatar: IOwnAvatar,
    readonly roster: IRoster,
    readonly classState: ClassStateTracker,
    /** How close counts as caught up, in map units. */
    readonly near: number = 60
  ) {
    avatar.steered.connect(() => this.stop('moved'), this);
    roster.positionsChanged.connect((_, ids) => {
      if (this._target && ids.includes(this._target)) {
        this._catchUp();
      }
    }, this);
    roster.participantUpdated.connect((_, { participant }) => {
      if (participant.id === this._target) {
        this._catchUp();
      }
    }, this);
    roster.participantLeft.connect((_, p) => {
      if (p.id === this._target) {
        this.stop('left');
      }
    }, this);
    roster.reset.connect(() => {
      if (this._target && !roster.get(this._target)) {
        this.stop('left');
      }
    }, this);
  }

  /** Whom we follow changed: their id, or null with why it stopped. */
  get changed(): ISignal<this, { target: string | null; reason?: FollowEnd }> {
    return this._changed;
  }
  /** The participant we follow, if any. */
  get target(): string | null {
    return this._target;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Start following a participant (not ourselves). */
  follow(id: string): boolean {
    if (id === this.roster.myId || !this.roster.get(id)) {
      return false;
    }
    this._target = id;
    this._changed.emit({ target: id });
    this._catchUp(true);
    return true;
  }

  stop(reason: FollowEnd = 'stopped'): void {
    if (this._target === null) {
      return;
    }
    this._target = null;
    if (reason !== 'moved') {
      // Where we were heading was theirs; our own steering replaces it anyway.
      this.avatar.halt();
    }
    this._changed.emit({ target: null, reason });
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._target = null;
    Signal.clearData(this);
  }

  private _catchUp(force = false): void {
    const id = this._target;
    const them = id ? this.roster.get(id) : undefined;
    const me = this.roster.me;
    if (!id || !them || !me) {
      return;
    }
    if (them.room && them.room !== me.room && this._barred(them.room)) {
      this.stop('room');
      return;
    }
    const there = this.roster.lastKnown(id);
    const here = this.avatar.position;
    if (!there || !here) {
      return;
    }
    if (force || Math.hypot(there[0] - here[0], there[1] - here[1]) > this.near) {
      this.avatar.approach(id);
    }
  }

  /** A room we may not walk into: full, or locked for students. */
  private _barred(room: string): boolean {
    const me = this.roster.me!;
    if (me.role === 'instructor') {
      return false;
    }
    if (this.classState.state?.locked_rooms.includes(room)) {
      return true;
    }
    const at = this.roster.lastKnown(this._target!);
    return !!at && this.avatar.fullRoomAt(at[0], at[1])?.id === room;
  }

  private _target: string | null = null;
  private _disposed = false;
  private _changed = new Signal<this, { target: string | null; reason?: FollowEnd }>(this);
}
