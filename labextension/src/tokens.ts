import { TranslationBundle } from '@jupyterlab/translation';
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import type { Announcements } from './model/announcements';
import type { OwnAvatar } from './model/avatar';
import type { ChatStore } from './model/chat';
import type { IClassroomError } from './model/classroom';
import type { ClassroomConnection } from './model/connection';
import type { ClassroomEndpoint } from './model/endpoint';
import type { Point } from './model/geometry';
import type { IProfile, ProfileStore } from './model/profile';
import type { Roster } from './model/roster';
import { IClientConfig, IIceServer, IMapInfo, IParticipantInfo, IRoomInfo } from './protocol';
import type { LocalMedia } from './rtc/media';
import type { AudioMixer } from './rtc/mixer';
import type { PeerManager } from './rtc/peers';
import type { RoomConnection } from './rtc/sfu';

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

/**
 * The classroom client: the connection, the roster, our own avatar, chat and
 * announcements, and what the server's welcome said. Plugins that add to the
 * classroom (media, the panel, anything else) depend on this, not on a class.
 */
export interface IClassroom extends IDisposable {
  readonly connection: ClassroomConnection;
  /** Where the classroom is: this server's, or the hub's (and which of its classrooms). */
  readonly endpoint: ClassroomEndpoint | null;
  readonly roster: Roster;
  readonly avatar: OwnAvatar;
  readonly chat: ChatStore;
  readonly announcements: Announcements;
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
  readonly peers: PeerManager;
  readonly room: RoomConnection;
}

export const IClassroomMedia = new Token<IClassroomMedia>(
  'jupyterlab-classroom:IClassroomMedia',
  'The classroom media: microphone, camera, screen, calls and the spatial mixer.'
);
