/** How long a message stays when nothing resolves it sooner. */
export const NOTICE_MS = 8000;

/**
 * A line that tells people what went wrong, and goes away by itself: after
 * `NOTICE_MS`, or earlier when the owner says the problem is resolved
 * (`clear`, or `clear(code)` for one kind of problem). It is a live region
 * (`role="alert"`), so screen readers read it once when it appears.
 */
export class Notice {
  constructor(className = 'jp-Classroom-error') {
    this.node = document.createElement('p');
    this.node.className = className;
    this.node.setAttribute('role', 'alert');
  }

  readonly node: HTMLParagraphElement;

  /** What the notice is about (an error code), or '' when it is empty. */
  get code(): string {
    return this._code;
  }

  /** Say `text`; `code` names the problem, so resolving it clears just that. */
  show(text: string, code = '', ms = NOTICE_MS): void {
    window.clearTimeout(this._timer);
    this._code = code;
    this.node.textContent = text;
    this.node.dataset.code = code;
    this._timer = window.setTimeout(() => this.clear(), ms);
  }

  /** Clear the notice (only if it is about `code`, when given). */
  clear(code?: string): void {
    if (code !== undefined && code !== this._code) {
      return;
    }
    window.clearTimeout(this._timer);
    this._timer = 0;
    this._code = '';
    this.node.textContent = '';
    delete this.node.dataset.code;
  }

  dispose(): void {
    window.clearTimeout(this._timer);
  }

  private _code = '';
  private _timer = 0;
}

/** Refusals told at the map's edge rather than under the chat. */
export const MAP_CODES = new Set(['room_full', 'room_locked']);

/** What the map's refusal knows of the classroom now (see `RoomRefusal.update`). */
export interface IRefusalContext {
  /** Our position (map units), or null. */
  at: readonly [number, number] | null;
  /** The room we stand in. */
  room: string | null;
  locked: ReadonlySet<string>;
  full: ReadonlySet<string>;
  /** How far we may walk from where we were refused before it is told no more. */
  reach: number;
}

/**
 * Why we may not walk into a room, at the map's edge, in a live region
 * (`role="alert"`): it stays while it holds, and goes when it no longer
 * does: the room is unlocked or has room again, we walked away from it, or
 * we are in a room after all.
 */
export class RoomRefusal {
  constructor() {
    this.node = document.createElement('div');
    this.node.className = 'jp-Classroom-mapNotice';
    this.node.setAttribute('role', 'alert');
    this.node.hidden = true;
  }

  readonly node: HTMLDivElement;

  /** The room refused, or null. */
  get room(): string | null {
    return this._room;
  }

  /** A refusal with `code` and `text`, of `room` (null: unknown), while standing `at`. */
  show(code: string, text: string, room: string | null, at: readonly [number, number] | null): void {
    this._code = code;
    this._room = room;
    this._at = at;
    this.node.textContent = text;
    this.node.dataset.code = code;
    this.node.dataset.room = room ?? '';
    this.node.hidden = false;
  }

  /** The refused room, learnt after the refusal was shown. */
  about(room: string): void {
    if (this._code) {
      this._room = room;
      this.node.dataset.room = room;
    }
  }

  /** Clear the refusal when what it said no longer holds. */
  update(now: IRefusalContext): void {
    if (!this._code || !stillRefused(this._code, this._room, this._at, now)) {
      this.clear();
    }
  }

  clear(): void {
    if (!this._code) {
      return;
    }
    this._code = '';
    this._room = null;
    this._at = null;
    this.node.textContent = '';
    this.node.hidden = true;
    delete this.node.dataset.code;
    delete this.node.dataset.room;
  }

  private _code = '';
  private _room: string | null = null;
  private _at: readonly [number, number] | null = null;
}

/** Whether a refusal of `room` (`code`) from `from` still holds. Pure: tested with node. */
export function stillRefused(
  code: string,
  room: string | null,
  from: readonly [number, number] | null,
  now: IRefusalContext
): boolean {
  if (room !== null && now.room === room) {
    return false; // we are in after all
  }
  if (from && now.at && Math.hypot(now.at[0] - from[0], now.at[1] - from[1]) > now.reach) {
    return false; // we walked away
  }
  if (room !== null && code === 'room_locked' && !now.locked.has(room)) {
    return false;
  }
  if (room !== null && code === 'room_full' && !now.full.has(room)) {
    return false;
  }
  return true;
}
