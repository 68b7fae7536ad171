import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IParticipantInfo, IWelcome } from '../protocol';
import type { IRoster } from '../tokens';
import { ClassroomConnection } from './connection';
import { interpolate, ISample, Point } from './geometry';
import { Nearby } from './nearby';

/** Remote avatars are drawn this far in the past, between two known samples. */
const RENDER_DELAY_MS = 120;
/** Position samples kept per remote avatar. */
const SAMPLES_KEPT = 8;

/** A participant's new state, with the one it replaced. */
export interface IParticipantChange {
  participant: IParticipantInfo;
  previous: IParticipantInfo;
}

/**
 * Everyone in the classroom, as the server last described them: who is here,
 * where remote avatars were seen, who is near us and who speaks in our room.
 *
 * Who is near us (and who of them a full mesh leaves out) is worked out here
 * from those positions and our avatar's, by the server's rule (`Nearby`).
 */
export class Roster implements IRoster {
  constructor(readonly connection: ClassroomConnection) {
    this._listeners = [
      connection.on('participant_joined', m => this._upsert(m.participant)),
      connection.on('participant_updated', m => this._upsert(m.participant)),
      connection.on('participant_left', m => this._remove(m.participant_id)),
      connection.on('positions', m => this._onPositions(m.moves)),
      // Our open-floor calls: who near us has none is capped.
      connection.on('peer_connect', m => this._nearbyChanged(this._nearby.connected(m.peer))),
      connection.on('peer_disconnect', m => this._nearbyChanged(this._nearby.disconnected(m.peer))),
      connection.on('speakers', m => {
        if (m.room === this.me?.room) {
          this._speakers = m.ids;
          this._speakersChanged.emit();
        }
      })
    ];
  }

  /** The whole roster was replaced (on joining, and after a reconnect). */
  get reset(): ISignal<this, void> {
    return this._reset;
  }
  get participantJoined(): ISignal<this, IParticipantInfo> {
    return this._participantJoined;
  }
  /** Room, status, hand, media or connection changed (not positions). */
  get participantUpdated(): ISignal<this, IParticipantChange> {
    return this._participantUpdated;
  }
  get participantLeft(): ISignal<this, IParticipantInfo> {
    return this._participantLeft;
  }
  /** Remote avatars moved (their ids). */
  get positionsChanged(): ISignal<this, string[]> {
    return this._positionsChanged;
  }
  /**
   * Who is near us, or who of them we cannot hear, changed: when positions
   * arrive, when we move, when someone changes (room, connection), comes or
   * goes, and with our open-floor calls.
   */
  get neighboursChanged(): ISignal<this, void> {
    return this._neighboursChanged;
  }
  /** Who speaks in our room changed (see `speakers`). */
  get speakersChanged(): ISignal<this, void> {
    return this._speakersChanged;
  }

  get participants(): ReadonlyMap<string, IParticipantInfo> {
    return this._participants;
  }
  get myId(): string | null {
    return this._myId;
  }
  get me(): IParticipantInfo | null {
    return (this._myId && this._participants.get(this._myId)) || null;
  }
  /**
   * Who is near us: online, within `proximity_radius` of where our avatar
   * is, and near until beyond `proximity_drop_radius`.
   */
  get neighbours(): ReadonlySet<string> {
    return this._nearby.near;
  }
  /**
   * Near neighbours we cannot hear because a mesh is full: both of us on the
   * open floor, and the server paired us with them for no call.
   */
  get capped(): ReadonlySet<string> {
    return this._nearby.capped;
  }
  /** Who speaks in our room, the active speaker first (empty on the open floor). */
  get speakers(): readonly string[] {
    return this._speakers;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  get(id: string): IParticipantInfo | undefined {
    return this._participants.get(id);
  }

  /** Who the number in a media frame stands for. */
  byNumber(number: number): string | undefined {
    const cached = this._numbers.get(number);
    if (cached !== undefined && this._participants.get(cached)?.number === number) {
      return cached;
    }
    for (const p of this._participants.values()) {
      if (p.number === number) {
        this._numbers.set(number, p.id);
        return p.id;
      }
    }
    return undefined;
  }

  /** Where to draw a remote participant at `now` (ms, performance.now()). */
  positionOf(id: string, now: number): Point | null {
    const samples = this._samples.get(id);
    return samples ? interpolate(samples, now - RENDER_DELAY_MS) : null;
  }

  /** The last position the server reported for a remote participant. */
  lastKnown(id: string): Point | null {
    const s = this._samples.get(id);
    return s && s.length ? [s[s.length - 1].x, s[s.length - 1].y] : null;
  }

  /** Take everyone from the server's welcome. */
  replace(welcome: IWelcome): void {
    const now = performance.now();
    this._myId = welcome.you;
    this._participants.clear();
    this._samples.clear();
    for (const p of welcome.participants) {
      this._participants.set(p.id, p);
      this._addSample(p.id, p.x, p.y, now);
    }
    const me = this._participants.get(welcome.you);
    const near = this._nearby.near.size > 0 || this._nearby.capped.size > 0;
    this._nearby.reset(welcome.you, me ? [me.x, me.y] : null, {
      join: welcome.config.proximity_radius,
      drop: welcome.config.proximity_drop_radius
    });
    const changed = this._nearby.updateAll() || near;
    this._speakers = [];
    this._reset.emit();
    this._speakersChanged.emit();
    this._nearbyChanged(changed);
  }

  /**
   * Where our avatar is now (it walks ahead of the server): who is near us
   * is measured from here. The avatar says so each time it moves.
   */
  setOwnPosition(at: Point): void {
    this._nearbyChanged(this._nearby.moveTo(at));
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._listeners.forEach(l => l.dispose());
    Signal.clearData(this);
  }

  private _upsert(p: IParticipantInfo): void {
    const previous = this._participants.get(p.id);
    this._participants.set(p.id, p);
    // Near or not (connection), capped or not (room); ours: everyone's capping.
    const nearby = this._nearby.update([p.id]);
    if (!previous) {
      this._addSample(p.id, p.x, p.y, performance.now());
      this._participantJoined.emit(p);
      this._nearbyChanged(nearby);
      return;
    }
    if (p.id === this._myId && previous.room !== p.room && this._speakers.length) {
      // The old room's speakers mean nothing in the new one.
      this._speakers = [];
      this._speakersChanged.emit();
    }
    this._participantUpdated.emit({ participant: p, previous });
    this._nearbyChanged(nearby);
  }

  private _remove(id: string): void {
    const p = this._participants.get(id);
    this._participants.delete(id);
    this._samples.delete(id);
    const nearby = this._nearby.update([id]);
    if (p) {
      this._participantLeft.emit(p);
    }
    this._nearbyChanged(nearby);
  }

  private _onPositions(moves: { id: string; x: number; y: number }[]): void {
    const now = performance.now();
    const moved: string[] = [];
    let confirmed = false;
    for (const pos of moves) {
      // Our own position is the avatar's business (corrections included);
      // where the server saw us decides who of those near is capped.
      if (pos.id === this._myId) {
        confirmed = this._nearby.confirm([pos.x, pos.y]) || confirmed;
        continue;
      }
      this._addSample(pos.id, pos.x, pos.y, now);
      const p = this._participants.get(pos.id);
      if (p) {
        p.x = pos.x;
        p.y = pos.y;
        moved.push(pos.id);
      }
    }
    if (moved.length) {
      const nearby = this._nearby.update(moved);
      this._positionsChanged.emit(moved);
      this._nearbyChanged(nearby || confirmed);
    } else {
      this._nearbyChanged(confirmed);
    }
  }

  private _nearbyChanged(changed: boolean): void {
    if (changed) {
      this._neighboursChanged.emit();
    }
  }

  private _addSample(id: string, x: number, y: number, now: number): void {
    let samples = this._samples.get(id);
    if (!samples) {
      samples = [];
      this._samples.set(id, samples);
    }
    samples.push({ t: now, x, y });
    if (samples.length > SAMPLES_KEPT) {
      samples.splice(0, samples.length - SAMPLES_KEPT);
    }
  }

  private _listeners: IDisposable[];
  private _myId: string | null = null;
  private _participants = new Map<string, IParticipantInfo>();
  private _samples = new Map<string, ISample[]>();
  private _nearby = new Nearby(this._participants);
  private _speakers: string[] = [];
  private _disposed = false;
  private _numbers = new Map<number, string>();
  private _reset = new Signal<this, void>(this);
  private _participantJoined = new Signal<this, IParticipantInfo>(this);
  private _participantUpdated = new Signal<this, IParticipantChange>(this);
  private _participantLeft = new Signal<this, IParticipantInfo>(this);
  private _positionsChanged = new Signal<this, string[]>(this);
  private _neighboursChanged = new Signal<this, void>(this);
  private _speakersChanged = new Signal<this, void>(this);
}
