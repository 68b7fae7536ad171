import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ErrorCode,
  IClientConfig,
  IIceServer,
  IMapInfo,
  IParticipantInfo,
  IRestore,
  IRoomInfo,
  IWelcome,
  PROTOCOL_VERSION
} from '../protocol';
import { Announcements } from './announcements';
import { OwnAvatar } from './avatar';
import { ChatStore } from './chat';
import { ClassroomConnection } from './connection';
import { IEndpoint } from './endpoint';
import { Point } from './geometry';
import { IKeptPlace, PlaceStore, socketKey } from './place';
import { IProfile, ProfileStore, tidyName } from './profile';
import { Roster } from './roster';
import { ClassStateTracker } from './teaching';

export type { ChannelKey } from './chat';

export interface IClassroomError {
  code: ErrorCode;
  message: string;
}

/**
 * The browser's mirror of the classroom, one part per concern: the roster,
 * our own avatar, the chat store and the announcements, over one connection.
 * No DOM: views listen to the parts' signals. The open-floor calls and the
 * room's conference handle their own messages on the connection.
 */
export class ClassroomModel implements IDisposable {
  constructor(
    readonly connection: ClassroomConnection,
    trans: TranslationBundle = nullTranslator.load('jupyterlab_classroom'),
    readonly profile: ProfileStore = new ProfileStore(),
    private readonly _place: PlaceStore = new PlaceStore()
  ) {
    this.trans = trans;
    // Taken at once, before anything else can read it (see place.ts).
    this._kept = _place.take();
    if (typeof window !== 'undefined') {
      window.addEventListener('pagehide', this._onPageHide);
    }
    // The welcome first: the parts' own handlers may rely on what it sets.
    this._listeners = [
      connection.on('welcome', m => this._onWelcome(m)),
      connection.on('error', m => {
        // A refused move is followed by a correction; the avatar handles that.
        // A refused probe is the transport chooser's business, not the person's.
        if (m.code !== 'move_blocked' && (this._probeRequest === null || m.id !== this._probeRequest)) {
          this._errorOccurred.emit({ code: m.code, message: m.message });
        }
      })
    ];
    connection.opened.connect(this._onOpened, this);
    this.roster = new Roster(connection);
    this.classState = new ClassStateTracker(connection);
    this.avatar = new OwnAvatar(connection, this.roster);
    this.chat = new ChatStore(connection, this.roster, trans);
    this.announcements = new Announcements(this.roster, this.avatar, id => this.roomName(id), trans);
    this.avatar.roomRefused.connect((_, room) => {
      this._errorOccurred.emit({
        code: 'room_full',
        message: trans._n(
          '%2 is full (%1 person): try another room.',
          '%2 is full (%1 people): try another room.',
          room.capacity ?? 0,
          room.name
        )
      });
    }, this);
  }

  readonly trans: TranslationBundle;
  /** Set by the plugin that found the classroom. */
  endpoint: IEndpoint | null = null;
  readonly roster: Roster;
  readonly avatar: OwnAvatar;
  readonly chat: ChatStore;
  readonly announcements: Announcements;
  readonly classState: ClassStateTracker;

  /** The server welcomed us (first join or after a reconnect). */
  get joined(): ISignal<this, void> {
    return this._joined;
  }
  /** Something went wrong that people should read about. */
  get errorOccurred(): ISignal<this, IClassroomError> {
    return this._errorOccurred;
  }

  /** Whether we may choose our own name and colour (the host gives us no name). */
  get naming(): boolean {
    return this._naming;
  }

  get map(): IMapInfo | null {
    return this._map;
  }
  get config(): IClientConfig | null {
    return this._config;
  }
  get iceServers(): IIceServer[] {
    return this._iceServers;
  }
  get myId(): string | null {
    return this.roster.myId;
  }
  get me(): IParticipantInfo | null {
    return this.roster.me;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  room(id: string | null | undefined): IRoomInfo | null {
    return (id && this._map?.rooms.find(r => r.id === id)) || null;
  }

  roomName(id: string | null | undefined): string {
    return this.room(id)?.name ?? this.trans.__('Open floor');
  }

  /** Where to draw a participant at `now` (ms, performance.now()). */
  positionOf(id: string, now: number): Point | null {
    return id === this.roster.myId ? this.avatar.position : this.roster.positionOf(id, now);
  }

  /** The server-confirmed position of a participant (ours: where we are). */
  lastKnown(id: string): Point | null {
    return id === this.roster.myId ? this.avatar.position : this.roster.lastKnown(id);
  }

  /** Begin listening; the connection opens and the model joins. */
  start(): void {
    this.connection.connect();
  }

  setHand(raised: boolean): void {
    this.connection.send({ type: 'presence', hand: raised });
  }

  /** Tell everyone whether our microphone, camera and screen are on. */
  setMedia(media: { mic?: boolean; camera?: boolean; screen?: boolean }): void {
    // Kept, so that joining again (after the server restarted) says so again.
    Object.assign(this._media, media);
    this.connection.send({ type: 'presence', ...media });
  }

  /**
   * Choose our name and colour ('' for none): kept in the browser, and told
   * to the server now if we are in the classroom (the server checks them;
   * a refusal comes back as an error).
   */
  setProfile(profile: IProfile): void {
    const chosen = { name: tidyName(profile.name), color: profile.color.toLowerCase() };
    this.profile.set(chosen);
    if (this._naming && this.roster.myId) {
      this.connection.send({
        type: 'profile',
        id: ++this._requestId,
        ...(chosen.name ? { name: chosen.name } : {}),
        ...(chosen.color ? { color: chosen.color } : {})
      });
    }
  }

  /**
   * Ask the server for a UDP probe (`udp_probe`); the request's id, or null
   * when the socket is not open. A refusal is not shown: the caller hears it.
   */
  requestUdpProbe(): number | null {
    const id = ++this._requestId;
    if (!this.connection.send({ type: 'udp_probe', id })) {
      return null;
    }
    this._probeRequest = id;
    return id;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    if (typeof window !== 'undefined') {
      window.removeEventListener('pagehide', this._onPageHide);
    }
    this._listeners.forEach(l => l.dispose());
    this.announcements.dispose();
    this.classState.dispose();
    this.chat.dispose();
    this.avatar.dispose();
    this.roster.dispose();
    this.connection.dispose();
    Signal.clearData(this);
  }

  private _onOpened(): void {
    const chosen = this.profile.get();
    const kept = this._kept;
    this._kept = null;
    if (!this._resume && kept && kept.socket === socketKey(this.connection.url)) {
      this._resume = kept.resume;
      this._reloaded = kept.restore;
    }
    this.connection.send({
      type: 'join',
      id: ++this._requestId,
      protocol: PROTOCOL_VERSION,
      // This client takes part in the rooms' conferences (rtc/sfu.ts).
      media: true,
      ...(this._resume ? { resume: this._resume } : {}),
      ...(chosen.name ? { name: chosen.name } : {}),
      ...(chosen.color ? { color: chosen.color } : {}),
      ...(this._resume ? { restore: this._restore() } : {})
    });
  }

  /**
   * The page goes away (a reload, or the tab closing): keep this session's
   * token and where we stand for the tab's next page. The socket's close
   * (1001) keeps our participant on the server for its reconnect grace.
   */
  private _onPageHide = (): void => {
    const restore = this._restore();
    if (this._disposed || !this._resume || !restore) {
      return;
    }
    this._place.keep({
      socket: socketKey(this.connection.url),
      resume: this._resume,
      restore: { x: restore.x, y: restore.y, status: restore.status, hand: restore.hand }
    });
  };

  /**
   * What we had in the session before: where we stood, our hand and status,
   * and what our devices really do. If the server cannot resume the session
   * (it restarted), it puts us back so, after checking the place as it
   * checks a move; if it can, it keeps our place and takes the presence.
   */
  private _restore(): IRestore | undefined {
    const me = this.roster.me;
    const at = this.avatar.position;
    const reloaded = this._reloaded;
    if (reloaded) {
      // A new page after a reload: our devices start off here, whatever they were.
      return {
        ...reloaded,
        mic: this._media.mic ?? false,
        camera: this._media.camera ?? false,
        screen: this._media.screen ?? false
      };
    }
    if (!me || !at) {
      return undefined;
    }
    return {
      x: at[0],
      y: at[1],
      status: me.status,
      hand: me.hand,
      mic: this._media.mic ?? me.mic,
      camera: this._media.camera ?? me.camera,
      screen: this._media.screen ?? me.screen
    };
  }

  private _onWelcome(m: IWelcome): void {
    this._resume = m.resume;
    this._reloaded = null;
    this._naming = !!m.naming;
    this._map = m.map;
    this._config = m.config;
    this._iceServers = m.ice_servers;
    this.chat.historySize = m.config.history_size;
    const mine = m.participants.find(p => p.id === m.you)!;
    this.avatar.place(m.map, m.config, [mine.x, mine.y], mine.room ?? null);
    this.roster.replace(m);
    this._joined.emit();
  }

  private _listeners: IDisposable[];
  private _resume: string | null = null;
  /** What the tab's page before this one kept (until the first join). */
  private _kept: IKeptPlace | null;
  /** Where the page before this one stood, until the server welcomes us. */
  private _reloaded: IRestore | null = null;
  private _map: IMapInfo | null = null;
  private _config: IClientConfig | null = null;
  private _iceServers: IIceServer[] = [];
  private _requestId = 0;
  private _probeRequest: number | null = null;
  private _naming = false;
  private _media: { mic?: boolean; camera?: boolean; screen?: boolean } = {};
  private _disposed = false;
  private _joined = new Signal<this, void>(this);
  private _errorOccurred = new Signal<this, IClassroomError>(this);
}
