import type { Connection } from '../protocol';
import type { Point } from './geometry';

/** What of a participant decides whether they are near us and can be heard. */
export interface INearbyPerson {
  id: string;
  x: number;
  y: number;
  connection: Connection;
  room?: string | null;
}

/** Someone comes near within `join` and stays near until beyond `drop`. */
export interface IRadii {
  join: number;
  drop: number;
}

/**
 * Who is near us and who of them we cannot hear, worked out by the page from
 * the positions it has (the server no longer sends either): the server's rule,
 * measured from where our avatar is.
 *
 * - Near: online, not us, and within `join` of us, or within `drop` if they
 *   were near already (so walking along the edge does not flap).
 * - Capped: near, both of us on the open floor, and not one of our peers (no
 *   `peer_connect` from the server): a full mesh left them out. Measured
 *   from where the server last saw us, not from our avatar, which walks
 *   ahead: the server pairs people with the positions it has, and its
 *   `peer_connect` comes with the batch that carries our step, so walking up
 *   to someone does not show them as left out in between.
 *
 * Work is proportional to what changed: `update()` looks at the people named,
 * `updateAll()` (after we moved, or our own record changed) at everyone once.
 * Each returns whether the near or capped set changed.
 */
export class Nearby {
  /** `people` is read, never changed: the roster's participants by id. */
  constructor(private readonly _people: ReadonlyMap<string, INearbyPerson>) {}

  /** Who is near us. */
  get near(): ReadonlySet<string> {
    return this._near;
  }
  /** Who of them we cannot hear because a mesh is full. */
  get capped(): ReadonlySet<string> {
    return this._capped;
  }
  /** Whom the server paired us with on the open floor. */
  get peers(): ReadonlySet<string> {
    return this._peers;
  }
  /** Where we are (our avatar walks ahead of the server). */
  get here(): Point | null {
    return this._here;
  }

  /**
   * Start again from a welcome: who we are, where, and the two radii.
   * Nobody is near and we have no calls until `updateAll()` and the
   * server's `peer_connect`s.
   */
  reset(me: string, here: Point | null, radii: IRadii): void {
    this._me = me;
    this._here = here;
    this._confirmed = here;
    this._join2 = radii.join * radii.join;
    this._drop2 = radii.drop * radii.drop;
    this._near.clear();
    this._heard.clear();
    this._capped.clear();
    this._peers.clear();
  }

  /** We moved: everyone's distance changed. */
  moveTo(here: Point): boolean {
    this._here = here;
    return this.updateAll();
  }

  /** Where the server last saw us (our own entry in a batch of positions). */
  confirm(at: Point): boolean {
    this._confirmed = at;
    return this.updateAll();
  }

  /** Look again at these people (they moved, changed, came or left). */
  update(ids: Iterable<string>): boolean {
    let changed = false;
    for (const id of ids) {
      if (id === this._me) {
        // Our room decides whether anyone is capped.
        return this.updateAll() || changed;
      }
      changed = this._look(id) || changed;
    }
    return changed;
  }

  /** Look again at everyone. */
  updateAll(): boolean {
    let changed = false;
    for (const id of this._near) {
      if (!this._people.has(id)) {
        changed = this._look(id) || changed;
      }
    }
    for (const id of this._people.keys()) {
      changed = this._look(id) || changed;
    }
    return changed;
  }

  /** The server paired us with `peer` (`peer_connect`). */
  connected(peer: string): boolean {
    this._peers.add(peer);
    return this._look(peer);
  }

  /** The server ended our call with `peer` (`peer_disconnect`). */
  disconnected(peer: string): boolean {
    this._peers.delete(peer);
    return this._look(peer);
  }

  /** Put one person in or out of the two sets; true if either changed. */
  private _look(id: string): boolean {
    const p = this._people.get(id);
    const here = this._here;
    const was = this._near.has(id);
    const near = this._within(p, here, was);
    // The same rule from where the server saw us: what its mesh goes by.
    const heard = this._within(p, this._confirmed, this._heard.has(id));
    toggle(this._heard, id, heard);
    const me = this._me === null ? undefined : this._people.get(this._me);
    const capped = near && heard && !me?.room && !p!.room && !this._peers.has(id);
    const wasCapped = this._capped.has(id);
    if (near !== was) {
      toggle(this._near, id, near);
    }
    if (capped !== wasCapped) {
      toggle(this._capped, id, capped);
    }
    return near !== was || capped !== wasCapped;
  }

  private _within(p: INearbyPerson | undefined, from: Point | null, was: boolean): boolean {
    if (!p || !from || p.id === this._me || p.connection !== 'online') {
      return false;
    }
    const d2 = (p.x - from[0]) ** 2 + (p.y - from[1]) ** 2;
    return d2 <= this._join2 || (was && d2 <= this._drop2);
  }

  private _me: string | null = null;
  private _here: Point | null = null;
  private _confirmed: Point | null = null;
  private _join2 = 0;
  private _drop2 = 0;
  private _near = new Set<string>();
  /** Near as the server measures it (from `_confirmed`). */
  private _heard = new Set<string>();
  private _capped = new Set<string>();
  private _peers = new Set<string>();
}

function toggle<T>(set: Set<T>, item: T, on: boolean): void {
  if (on) {
    set.add(item);
  } else {
    set.delete(item);
  }
}
