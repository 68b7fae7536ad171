import { TranslationBundle } from '@jupyterlab/translation';
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import type { Announcements } from './model/announcements';
import type { Direction } from './model/avatar';
import type { ChannelKey, IChatProblem } from './model/chat';
import type { IClassroomError } from './model/classroom';
import type { ClassroomConnection } from './model/connection';
import type { IEndpoint } from './model/endpoint';
import type { Point } from './model/geometry';
import type { IProfile, ProfileStore } from './model/profile';
import type { IParticipantChange } from './model/roster';
import type { ClassStateTracker } from './model/teaching';
import {
  IChatMessage,
  IClientConfig,
  IIceServer,
  IMapInfo,
  IParticipantInfo,
  IRoomInfo,
  IShownTile,
  IWelcome
} from './protocol';
import type { LocalMedia } from './rtc/media';
import type { AudioMixer } from './rtc/mixer';
import type { IRemoteMedia } from './rtc/peers';
import type { RoomConnectionState } from './rtc/sfu';
import type { IMediaStats } from './rtc/stats';
import type { ICallHealth } from './rtc/watchdog';
import type { SocketMedia } from './rtc/wsmedia/socketmedia';
import type { TransportChooser } from './rtc/wsmedia/chooser';

/** Command ids of the classroom. */
export namespace CommandIDs {
  /** Open the classroom in the main area, beside the notebooks. */
  export const open = 'classroom:open';
  /** Put the classroom panel back in the left sidebar. */
  export const toSidebar = 'classroom:move-to-sidebar';
  /** Give the map keyboard focus. */
  export const focusMap = 'classroom:focus-map';
  /** Raise or lower your hand. */
  export const toggleHand = 'classroom:toggle-hand';
  /** Mute or unmute the microphone. */
  export const toggleMic = 'classroom:toggle-microphone';
  /** Start or stop the camera. */
  export const toggleCamera = 'classroom:toggle-camera';
  /** Start or stop sharing the screen. */
  export const toggleScreen = 'classroom:toggle-screen';
}

/** Who is in the classroom, where, and who is near us (the server's word). */
export interface IRoster extends IDisposable {
  /** Everyone was replaced (a welcome). */
  readonly reset: ISignal<IRoster, void>;
  readonly participantJoined: ISignal<IRoster, IParticipantInfo>;
  readonly participantUpdated: ISignal<IRoster, IParticipantChange>;
  readonly participantLeft: ISignal<IRoster, IParticipantInfo>;
  /** Ids of those who moved. */
  readonly positionsChanged: ISignal<IRoster, string[]>;
  readonly neighboursChanged: ISignal<IRoster, void>;
  readonly speakersChanged: ISignal<IRoster, void>;
  readonly participants: ReadonlyMap<string, IParticipantInfo>;
  readonly myId: string | null;
  readonly me: IParticipantInfo | null;
  /** Those the server pairs us with on the open floor. */
  readonly neighbours: ReadonlySet<string>;
  /** Neighbours beyond the cap of calls: near, but not called. */
  readonly capped: ReadonlySet<string>;
  /** The loudest voices, loudest first. */
  readonly speakers: readonly string[];
  get(id: string): IParticipantInfo | undefined;
  /** Who the number in a media frame stands for. */
  byNumber(number: number): string | undefined;
  /** Where to draw a participant at `now` (ms, performance.now()). */
  positionOf(id: string, now: number): Point | null;
  /** The server-confirmed position of a participant. */
  lastKnown(id: string): Point | null;
  /** Everyone as a welcome lists them. */
  replace(welcome: IWelcome): void;
  setOwnPosition(at: Point): void;
}

/** Our own avatar: walked by keys, clicks and commands, moved by its own clock. */
export interface IOwnAvatar extends IDisposable {
  /** We walked into a room (null: onto the open floor). */
  readonly roomEntered: ISignal<IOwnAvatar, IRoomInfo | null>;
  /** A full or locked room kept us out. */
  readonly roomRefused: ISignal<IOwnAvatar, IRoomInfo>;
  /** Someone (an instructor) moved us. */
  readonly steered: ISignal<IOwnAvatar, void>;
  /** The server put us somewhere else than we walked to. */
  readonly corrected: ISignal<IOwnAvatar, void>;
  readonly position: Point | null;
  place(map: IMapInfo, config: IClientConfig, at: Point, room: string | null): void;
  setKey(direction: Direction, pressed: boolean): void;
  releaseKeys(): void;
  halt(): void;
  walkTo(x: number, y: number): boolean;
  goTo(id: string): boolean;
  approach(id: string): boolean;
  /** The full room at a point, if any (walking there would be refused). */
  fullRoomAt(x: number, y: number): IRoomInfo | null;
  /** Advance the walk to `now` (ms, performance.now()); true if we moved. */
  tick(now: number): boolean;
}

/** The chat: its channels' messages and sending. */
export interface IChat extends IDisposable {
  readonly messagesChanged: ISignal<IChat, ChannelKey>;
  messages(key: ChannelKey): IChatMessage[];
  /** The people we have direct messages with. */
  directPeers(): string[];
  nameOfUser(user: string): string;
  /** Send `text`; what stands in the way, if anything. */
  send(key: ChannelKey, text: string): IChatProblem | null;
}

/** One open-floor call. */
export interface IPeerCall {
  /** Whether it goes through the server's media socket (no connection of its own). */
  readonly relayed?: boolean;
  /** Its connection's state (a relayed call: the media socket's). */
  readonly state: RTCPeerConnectionState;
  readonly remote: IRemoteMedia;
  readonly health: Readonly<ICallHealth>;
}

/** The open-floor calls, as the server pairs us. */
export interface IPeers extends IDisposable {
  readonly changed: ISignal<IPeers, void>;
  readonly calls: ReadonlyMap<string, IPeerCall>;
  /** How many calls were rebuilt because they did not connect or did not come back. */
  readonly rebuilt: number;
  /** The gain of a peer's voice now (null: no call). */
  gain(peer: string): number | null;
  updateVoices(): void;
  stats(peer: string): Promise<IMediaStats>;
}

/** Our connection with the server's SFU, for the rooms' conferences. */
export interface IRoomConnection extends IDisposable {
  readonly changed: ISignal<IRoomConnection, void>;
  readonly state: RoomConnectionState;
  /** What each member of our room sends us. */
  readonly remote: ReadonlyMap<string, IRemoteMedia>;
  stats(pid: string): Promise<IMediaStats>;
  /**
   * The room's videos we show now, with their sizes: the server sends us no
   * others. `renew`: say it again even if it is the same (the page has tiles
   * it had not when it last said it, which the server counts in).
   */
  setShown(tiles: IShownTile[], renew?: boolean): void;
  /**
   * The room's videos (`participant:source`, e.g. `ab12:camera`) the server
   * holds back for now because our link does not carry them (their voices go on).
   */
  readonly held: ReadonlySet<string>;
}

/**
 * The classroom client: the connection, the roster, our own avatar, chat and
 * announcements, and what the server's welcome said. Plugins that add to the
 * classroom (media, the panel, anything else) depend on this, not on a class.
 */
export interface IClassroom extends IDisposable {
  readonly connection: ClassroomConnection;
  /** Where the classroom is: this server's, or the hub's (and which of its classrooms). */
  readonly endpoint: IEndpoint | null;
  readonly roster: IRoster;
  readonly avatar: IOwnAvatar;
  readonly chat: IChat;
  readonly announcements: Announcements;
  /** What the instructors set for the class (locks, locked rooms...), as the server last said. */
  readonly classState: ClassStateTracker;
  /** The strings people read, in their language. */
  readonly trans: TranslationBundle;
  /** The server welcomed us (first join or after a reconnect). */
  readonly joined: ISignal<IClassroom, void>;
  /** Something went wrong that people should read about. */
  readonly errorOccurred: ISignal<IClassroom, IClassroomError>;
  readonly map: IMapInfo | null;
  readonly config: IClientConfig | null;
  readonly iceServers: IIceServer[];
  readonly myId: string | null;
  readonly me: IParticipantInfo | null;
  room(id: string | null | undefined): IRoomInfo | null;
  /** A room's name, or "Open floor". */
  roomName(id: string | null | undefined): string;
  /** Where to draw a participant at `now` (ms, performance.now()). */
  positionOf(id: string, now: number): Point | null;
  /** The server-confirmed position of a participant (ours: where we are). */
  lastKnown(id: string): Point | null;
  /** Open the connection and join. */
  start(): void;
  setHand(raised: boolean): void;
  /** Tell everyone whether our microphone, camera and screen are on. */
  setMedia(media: { mic?: boolean; camera?: boolean; screen?: boolean }): void;
  /**
   * Ask the server for a UDP probe: the request's id (null: not connected).
   * Its refusal is not shown to the person; the caller hears it.
   */
  requestUdpProbe(): number | null;
  /** The name and colour we chose, kept in this browser. */
  readonly profile: ProfileStore;
  /** Whether we may choose our own name and colour (the host gives us no name). */
  readonly naming: boolean;
  /** Choose our name and colour: kept, and told to the server (which checks them). */
  setProfile(profile: IProfile): void;
}

export const IClassroom = new Token<IClassroom>(
  'jupyterlab-classroom:IClassroom',
  'The classroom client: participants, positions and chat.'
);

/** The classroom's media: local devices, the open-floor calls, the room's conference, the mixer. */
export interface IClassroomMedia {
  readonly media: LocalMedia;
  readonly mixer: AudioMixer;
  readonly peers: IPeers;
  readonly room: IRoomConnection;
  /** Media through the server over the classroom's own connection, where UDP does not pass. */
  readonly socket: SocketMedia;
  /** The automatic choice between WebRTC and the socket, and its UDP probes. */
  readonly chooser: TransportChooser;
}

export const IClassroomMedia = new Token<IClassroomMedia>(
  'jupyterlab-classroom:IClassroomMedia',
  'The classroom media: microphone, camera, screen, calls and the spatial mixer.'
);
