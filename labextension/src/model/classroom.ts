import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ChatChannel,
  ErrorCode,
  IChatMessage,
  IClientConfig,
  IIceServer,
  IMapInfo,
  IPeerSignal,
  IRelaySignal,
  ISfuClosed,
  ISfuOffer,
  ISfuTracks,
  IStreamSource,
  IParticipantInfo,
  IRoomInfo,
  PROTOCOL_VERSION,
  ServerMessage
} from '../protocol';
import { ClassroomConnection, IConnectionState } from './connection';
import { findPath, interpolate, ISample, Point, slide } from './geometry';
import { fullRoomAt, roomAt } from './rooms';

/** Remote avatars are drawn this far in the past, between two known samples. */
const RENDER_DELAY_MS = 120;
/** The client keeps this margin from walls so the server never refuses a move. */
const MARGIN = 1;

/** A chat channel key: 'class', 'nearby', 'room:<id>' or 'direct:<username>'. */
export type ChannelKey = string;

export interface IClassroomError {
  code: ErrorCode;
  message: string;
}

/**
 * The browser's mirror of the classroom: who is here, where, and what was
 * said. No DOM: views listen to its signals.
 */
export class ClassroomModel implements IDisposable {
  constructor(readonly connection: ClassroomConnection) {
    connection.opened.connect(this._onOpened, this);
    connection.messageReceived.connect(this._onMessage, this);
    connection.stateChanged.connect(this._onState, this);
  }

  // -- signals -------------------------------------------------------------

  /** Someone joined, left, or changed room, status or hand. */
  get participantsChanged(): ISignal<this, void> {
    return this._participantsChanged;
  }
  /** A batch of remote positions arrived (ids of those who moved). */
  get positionsChanged(): ISignal<this, string[]> {
    return this._positionsChanged;
  }
  /** The server paired us with a peer on the open floor: call them. */
  get peerRequested(): ISignal<this, { peer: string; offerer: boolean }> {
    return this._peerRequested;
  }
  /** The server ended a pairing: hang up. */
  get peerReleased(): ISignal<this, string> {
    return this._peerReleased;
  }
  /** Signaling relayed from a paired peer. */
  get signalReceived(): ISignal<this, IPeerSignal> {
    return this._signalReceived;
  }
  /** The server's SFU offers (or renegotiates) our room connection. */
  get sfuOffered(): ISignal<this, ISfuOffer> {
    return this._sfuOffered;
  }
  /** The server says what each of its transceivers carries now. */
  get sfuTracksChanged(): ISignal<this, ISfuTracks> {
    return this._sfuTracksChanged;
  }
  /** The server closed our room connection. */
  get sfuClosed(): ISignal<this, ISfuClosed> {
    return this._sfuClosed;
  }
  /** Who speaks in our room changed (see `speakers`). */
  get speakersChanged(): ISignal<this, void> {
    return this._speakersChanged;
  }
  /** A chat channel got messages (the key says which). */
  get chatChanged(): ISignal<this, ChannelKey> {
    return this._chatChanged;
  }
  /** The server welcomed us (first join or after a reconnect). */
  get joined(): ISignal<this, void> {
    return this._joined;
  }
  get errorOccurred(): ISignal<this, IClassroomError> {
    return this._errorOccurred;
  }
  /** A sentence for screen-reader users ("You entered Table 3"). */
  get announced(): ISignal<this, string> {
    return this._announced;
  }
  get connectionChanged(): ISignal<ClassroomConnection, IConnectionState> {
    return this.connection.stateChanged;
  }

  // -- state ---------------------------------------------------------------

  get me(): IParticipantInfo | null {
    return (this._me && this.participants.get(this._me)) || null;
  }
  get map(): IMapInfo | null {
    return this._map;
  }
  get config(): IClientConfig | null {
    return this._config;
  }
  get neighbours(): ReadonlySet<string> {
    return this._neighbours;
  }
  /** Near neighbours we cannot hear because a mesh is full. */
  get capped(): ReadonlySet<string> {
    return this._capped;
  }
  get iceServers(): IIceServer[] {
    return this._iceServers;
  }
  /** Who speaks in our room, the active speaker first (empty on the open floor). */
  get speakers(): readonly string[] {
    return this._speakers;
  }
  get myId(): string | null {
    return this._me;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  readonly participants = new Map<string, IParticipantInfo>();

  room(id: string | null | undefined): IRoomInfo | null {
    return (id && this._map?.rooms.find(r => r.id === id)) || null;
  }

  roomName(id: string | null | undefined): string {
    return this.room(id)?.name ?? 'Open floor';
  }

  messages(key: ChannelKey): IChatMessage[] {
    return this._channels.get(key) ?? [];
  }

  /** Direct conversations, by the other person's username, oldest first. */
  directPeers(): string[] {
    return [...this._channels.keys()].filter(k => k.startsWith('direct:')).map(k => k.slice(7));
  }

  /** The display name of a user, from whoever of them is here or their messages. */
  nameOfUser(user: string): string {
    for (const p of this.participants.values()) {
      if (p.user === user) {
        return p.name;
      }
    }
    for (const m of this.messages(`direct:${user}`)) {
      if (m.sender_user === user) {
        return m.sender_name;
      }
      if (m.to_user === user && m.to_name) {
        return m.to_name;
      }
    }
    return user;
  }

  /** Where to draw a participant at `now` (ms, performance.now()). */
  positionOf(id: string, now: number): Point | null {
    if (id === this._me) {
      return this._pos;
    }
    const samples = this._samples.get(id);
    return samples ? interpolate(samples, now - RENDER_DELAY_MS) : null;
  }

  /** The server-confirmed position of a participant (for tests and lists). */
  lastKnown(id: string): Point | null {
    if (id === this._me) {
      return this._pos;
    }
    const s = this._samples.get(id);
    return s && s.length ? [s[s.length - 1].x, s[s.length - 1].y] : null;
  }

  // -- commands ------------------------------------------------------------

  /** Begin listening; the connection opens and the model joins. */
  start(): void {
    this.connection.connect();
  }

  setKey(direction: 'up' | 'down' | 'left' | 'right', pressed: boolean): void {
    if (pressed) {
      this._keys.add(direction);
      this._path = [];
    } else {
      this._keys.delete(direction);
    }
  }

  releaseKeys(): void {
    this._keys.clear();
  }

  /** Walk to a map point along a path around walls. Returns false if unreachable. */
  walkTo(x: number, y: number): boolean {
    if (!this._map || !this._config || !this._pos) {
      return false;
    }
    const r = this._config.avatar_radius + MARGIN;
    const path = findPath(this._map, this._pos, [x, y], r);
    if (!path) {
      return false;
    }
    this._path = path;
    return true;
  }

  /** Walk up next to another participant. */
  goTo(id: string): boolean {
    const target = this.lastKnown(id);
    if (!target || !this._map || !this._config) {
      return false;
    }
    const gap = this._config.avatar_radius * 2.5;
    for (const [dx, dy] of [[0, gap], [-gap, 0], [gap, 0], [0, -gap], [gap, gap], [-gap, gap]]) {
      if (this.walkTo(target[0] + dx, target[1] + dy)) {
        return true;
      }
    }
    return false;
  }

  setHand(raised: boolean): void {
    this._send({ type: 'presence', hand: raised });
  }

  /** Tell everyone whether our microphone, camera and screen are on. */
  setMedia(media: { mic?: boolean; camera?: boolean; screen?: boolean }): void {
    this._send({ type: 'presence', ...media });
  }

  /** Relay WebRTC signaling to a peer the server paired us with. */
  signal(
    to: string,
    data: { description?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit | null },
    sources?: IStreamSource[],
    call?: number
  ): void {
    const message: IRelaySignal = { type: 'signal', to, ...(sources ? { sources } : {}) };
    if (call !== undefined) {
      message.call = call;
    }
    if (data.description) {
      message.description = { type: data.description.type, sdp: data.description.sdp ?? null };
    }
    if (data.candidate && data.candidate.candidate) {
      message.candidate = {
        candidate: data.candidate.candidate,
        sdpMid: data.candidate.sdpMid ?? null,
        sdpMLineIndex: data.candidate.sdpMLineIndex ?? null,
        usernameFragment: data.candidate.usernameFragment ?? null
      };
    }
    this._send(message);
  }

  /** Answer the SFU's offer on room connection `connection`. */
  sfuAnswer(connection: number, description: RTCSessionDescriptionInit): void {
    this._send({
      type: 'sfu_answer',
      connection,
      description: { type: description.type, sdp: description.sdp ?? null }
    });
  }

  /** One of our ICE candidates for room connection `connection` (null: no more). */
  sfuCandidate(connection: number, candidate: RTCIceCandidateInit | null): void {
    if (candidate && !candidate.candidate) {
      return;
    }
    this._send({
      type: 'sfu_candidate',
      connection,
      ...(candidate
        ? {
            candidate: {
              candidate: candidate.candidate!,
              sdpMid: candidate.sdpMid ?? null,
              sdpMLineIndex: candidate.sdpMLineIndex ?? null,
              usernameFragment: candidate.usernameFragment ?? null
            }
          }
        : {})
    });
  }

  /** The room at a point that we may not enter because it is full, if any. */
  fullRoomAt(x: number, y: number): IRoomInfo | null {
    const me = this.me;
    return this._map && me ? fullRoomAt(this._map.rooms, this.participants.values(), me, x, y) : null;
  }

  /** Post to a channel key; 'direct:<user>' needs that user to be here. */
  sendChat(key: ChannelKey, text: string): IClassroomError | null {
    let channel: ChatChannel;
    let to: string | undefined;
    if (key === 'class' || key === 'nearby') {
      channel = key;
    } else if (key.startsWith('room:')) {
      channel = 'room';
    } else if (key.startsWith('direct:')) {
      channel = 'direct';
      const user = key.slice(7);
      const peer = [...this.participants.values()].find(p => p.user === user && p.id !== this._me);
      if (!peer) {
        return {
          code: 'unknown_participant',
          message: `${this.nameOfUser(user)} is not in the classroom right now.`
        };
      }
      to = peer.id;
    } else {
      return { code: 'bad_message', message: 'Unknown channel.' };
    }
    if (!this._send({ type: 'chat_send', channel, text, ...(to ? { to } : {}) })) {
      return { code: 'internal', message: 'Not connected: the message was not sent.' };
    }
    return null;
  }

  /**
   * Advance our own avatar (keys or path) and send the position at the
   * server's rate. Called by the view every animation frame.
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
    let moved = false;
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
      // A full room is a wall for us; say so once per try.
      [x, y] = this._pos;
      this._path = [];
      if (full.id !== this._refusedRoom) {
        this._refusedRoom = full.id;
        const people = full.capacity === 1 ? 'person' : 'people';
        this._announced.emit(`${full.name} is full (${full.capacity} ${people}).`);
        this._errorOccurred.emit({
          code: 'room_full',
          message: `${full.name} is full (${full.capacity} ${people}): try another room.`
        });
      }
    } else {
      this._refusedRoom = null;
    }
    if (x !== this._pos[0] || y !== this._pos[1]) {
      this._pos = [x, y];
      moved = true;
      this._pending = true;
      this._checkRoom();
    }
    const interval = 1000 / this._config.position_rate_hz;
    if (this._pending && now - this._lastSent >= interval) {
      this._lastSent = now;
      this._pending = false;
      this._send({ type: 'move', x: Math.round(x * 10) / 10, y: Math.round(y * 10) / 10 });
    }
    return moved || this._keys.size > 0 || this._path.length > 0;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.connection.dispose();
    Signal.clearData(this);
  }

  // -- private -------------------------------------------------------------

  private _send(message: Parameters<ClassroomConnection['send']>[0]): boolean {
    return this.connection.send(message);
  }

  private _onOpened(): void {
    this._send({
      type: 'join',
      id: ++this._requestId,
      protocol: PROTOCOL_VERSION,
      // This client takes part in the rooms' conferences (rtc/sfu.ts).
      media: true,
      ...(this._resume ? { resume: this._resume } : {})
    });
  }

  private _onState(_: ClassroomConnection, state: IConnectionState): void {
    if (state.status !== 'connected') {
      this._keys.clear();
    }
  }

  private _checkRoom(): void {
    // Predict the room change for the announcement; the server confirms it.
    if (!this._map || !this._pos) {
      return;
    }
    const room = roomAt(this._map.rooms, this._pos[0], this._pos[1]);
    const id = room?.id ?? null;
    if (id !== this._predictedRoom) {
      this._predictedRoom = id;
      this._announced.emit(room ? `You entered ${room.name}.` : 'You are on the open floor.');
    }
  }

  private _addSample(id: string, x: number, y: number, now: number): void {
    let samples = this._samples.get(id);
    if (!samples) {
      samples = [];
      this._samples.set(id, samples);
    }
    samples.push({ t: now, x, y });
    if (samples.length > 8) {
      samples.splice(0, samples.length - 8);
    }
  }

  private _addMessages(key: ChannelKey, messages: IChatMessage[], replace: boolean): void {
    const limit = this._config?.history_size ?? 100;
    const list = replace ? [...messages] : [...(this._channels.get(key) ?? []), ...messages];
    // Nearby and live messages are kept a little longer than the history size.
    this._channels.set(key, list.slice(-Math.max(limit, 200)));
    this._chatChanged.emit(key);
  }

  private _keyOf(m: IChatMessage): ChannelKey {
    if (m.channel === 'room') {
      return `room:${m.room}`;
    }
    if (m.channel === 'direct') {
      const meUser = this.me?.user;
      return `direct:${m.sender_user === meUser ? m.to_user : m.sender_user}`;
    }
    return m.channel;
  }

  private _onMessage(_: ClassroomConnection, m: ServerMessage): void {
    const now = performance.now();
    switch (m.type) {
      case 'welcome': {
        this._me = m.you;
        this._resume = m.resume;
        this._map = m.map;
        this._config = m.config;
        this.participants.clear();
        this._samples.clear();
        for (const p of m.participants) {
          this.participants.set(p.id, p);
          this._addSample(p.id, p.x, p.y, now);
        }
        const mine = this.participants.get(m.you)!;
        this._pos = [mine.x, mine.y];
        this._predictedRoom = mine.room ?? null;
        this._path = [];
        this._neighbours = new Set(m.neighbours);
        this._capped = new Set();
        this._iceServers = m.ice_servers;
        this._speakers = [];
        this._joined.emit();
        this._participantsChanged.emit();
        break;
      }
      case 'participant_joined':
      case 'participant_updated': {
        const p = m.participant;
        const before = this.participants.get(p.id);
        this.participants.set(p.id, p);
        if (p.id === this._me && before?.room !== p.room && this._speakers.length) {
          this._speakers = [];
          this._speakersChanged.emit();
        }
        if (!before) {
          this._addSample(p.id, p.x, p.y, now);
          this._announced.emit(`${p.name} joined the classroom.`);
        } else if (p.id !== this._me && before.room !== p.room && p.room) {
          this._announced.emit(`${p.name} entered ${this.roomName(p.room)}.`);
        }
        this._participantsChanged.emit();
        break;
      }
      case 'participant_left': {
        const p = this.participants.get(m.participant_id);
        this.participants.delete(m.participant_id);
        this._samples.delete(m.participant_id);
        this._neighbours.delete(m.participant_id);
        if (p) {
          this._announced.emit(`${p.name} left the classroom.`);
        }
        this._participantsChanged.emit();
        break;
      }
      case 'positions': {
        const moved: string[] = [];
        for (const pos of m.moves) {
          if (pos.id === this._me) {
            if (m.correction) {
              this._pos = [pos.x, pos.y];
              this._path = [];
            }
            continue;
          }
          this._addSample(pos.id, pos.x, pos.y, now);
          const p = this.participants.get(pos.id);
          if (p) {
            p.x = pos.x;
            p.y = pos.y;
            moved.push(pos.id);
          }
        }
        if (moved.length) {
          this._positionsChanged.emit(moved);
        }
        break;
      }
      case 'neighbours':
        this._neighbours = new Set(m.ids);
        this._participantsChanged.emit();
        break;
      case 'peer_connect':
        this._peerRequested.emit({ peer: m.peer, offerer: m.offerer });
        break;
      case 'peer_disconnect':
        this._peerReleased.emit(m.peer);
        break;
      case 'mesh_capped':
        this._capped = new Set(m.ids);
        this._participantsChanged.emit();
        break;
      case 'signal':
        this._signalReceived.emit(m);
        break;
      case 'sfu_offer':
        this._sfuOffered.emit(m);
        break;
      case 'sfu_tracks':
        this._sfuTracksChanged.emit(m);
        break;
      case 'sfu_closed':
        this._sfuClosed.emit(m);
        break;
      case 'speakers':
        if (m.room === this.me?.room) {
          this._speakers = m.ids;
          this._speakersChanged.emit();
        }
        break;
      case 'chat':
        this._addMessages(this._keyOf(m.message), [m.message], false);
        break;
      case 'chat_history': {
        const key =
          m.channel === 'room' ? `room:${m.room}` : m.channel === 'direct' ? `direct:${m.peer}` : m.channel;
        this._addMessages(key, m.messages, true);
        break;
      }
      case 'error':
        if (m.code !== 'move_blocked') {
          this._errorOccurred.emit({ code: m.code, message: m.message });
        }
        break;
      case 'ack':
      case 'pong':
        break;
    }
  }

  private _me: string | null = null;
  private _resume: string | null = null;
  private _map: IMapInfo | null = null;
  private _config: IClientConfig | null = null;
  private _pos: Point | null = null;
  private _predictedRoom: string | null = null;
  private _path: Point[] = [];
  private _keys = new Set<string>();
  private _lastTick = 0;
  private _lastSent = 0;
  private _pending = false;
  private _requestId = 0;
  private _disposed = false;
  private _neighbours = new Set<string>();
  private _capped = new Set<string>();
  private _iceServers: IIceServer[] = [];
  private _peerRequested = new Signal<this, { peer: string; offerer: boolean }>(this);
  private _peerReleased = new Signal<this, string>(this);
  private _signalReceived = new Signal<this, IPeerSignal>(this);
  private _sfuOffered = new Signal<this, ISfuOffer>(this);
  private _sfuTracksChanged = new Signal<this, ISfuTracks>(this);
  private _sfuClosed = new Signal<this, ISfuClosed>(this);
  private _speakersChanged = new Signal<this, void>(this);
  private _speakers: string[] = [];
  private _refusedRoom: string | null = null;
  private _samples = new Map<string, ISample[]>();
  private _channels = new Map<ChannelKey, IChatMessage[]>();
  private _participantsChanged = new Signal<this, void>(this);
  private _chatChanged = new Signal<this, ChannelKey>(this);
  private _positionsChanged = new Signal<this, string[]>(this);
  private _joined = new Signal<this, void>(this);
  private _errorOccurred = new Signal<this, IClassroomError>(this);
  private _announced = new Signal<this, string>(this);
}
