import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IKeyFrameRequest, IMediaLayers, Transport, TransportMode } from '../../protocol';
import { IClassroom } from '../../tokens';
import { LocalMedia } from '../media';
import { AudioMixer, VoicePath } from '../mixer';
import { IRemoteMedia } from '../peers';
import { IMediaStats } from '../stats';
import { IDecoderStats, SourceDecoder } from './decoder';
import { IEncodedLayerStats, TrackEncoder, webCodecsSupported } from './encoder';
import { FrameError, KIND_NUMBER, MediaKind, parseFrame } from './frames';
import { mediaSocketUrl, relayedPair } from './route';

/** Why our media goes the way it goes. */
export type TransportReason = 'configured' | 'chosen' | 'udp_blocked' | 'no_webcodecs' | null;

const KINDS: MediaKind[] = ['audio', 'camera', 'screen'];
const REMOTE_KEY: Record<MediaKind, keyof IRemoteMedia> = { audio: 'audio', camera: 'camera', screen: 'screen' };

/** Seconds before opening the media socket again after it closed. */
const REOPEN_DELAYS_MS = [500, 1000, 2000, 5000, 10000];

/**
 * Our media over the classroom's own WebSocket, where UDP does not pass
 * (Binder, Kubernetes, networks that let only HTTPS out): WebCodecs frames
 * on a socket of their own (`classroom/media`), through the server.
 *
 * It says how our media travels (`transport`, told to the others as our
 * presence): WebRTC, or this socket. The server forwards to us exactly what
 * its plan says we receive this way: our room's tracks while we use the
 * socket, and, on the open floor, the tracks of each neighbour we talk to
 * through the server (`relayedWith`). Whatever arrives is decoded into
 * streams like WebRTC's (`remote`), and voices go into the same mixer.
 */
export class SocketMedia implements IDisposable {
  constructor(
    readonly model: IClassroom,
    readonly media: LocalMedia,
    readonly mixer: AudioMixer
  ) {
    this.supported = webCodecsSupported();
    this._wires = [
      model.connection.on('key_frame', m => this._keyFrame(m)),
      model.connection.on('media_layers', m => this._setLayers(m)),
      // (After the model's own handler: the roster is the new session's.)
      model.connection.on('welcome', m => {
        this._ticket = m.media_ticket ?? '';
        this._layers.clear(); // a new session: everything until told
        this._serverMode = m.config.media_transport ?? 'auto';
        const told = this._configure();
        this._rejoined(!told);
      })
    ];
    model.roster.participantUpdated.connect(this._sync, this);
    model.roster.participantLeft.connect(this._sync, this);
    model.roster.reset.connect(this._sync, this);
    media.changed.connect(this._syncEncoders, this);
  }

  /** Whether this browser can send and receive media this way (WebCodecs). */
  readonly supported: boolean;

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** How this page chooses: the server's setting, or (when that is `auto`) the person's. */
  get mode(): TransportMode {
    return this._serverMode === 'auto' ? this._preferred : this._serverMode;
  }

  /** The person's own choice (a setting), where the server leaves it to them. */
  prefer(mode: TransportMode): void {
    if (mode !== this._preferred) {
      this._preferred = mode;
      this._configure();
    }
  }
  /** How our media travels now. */
  get transport(): Transport {
    return this._transport;
  }
  get reason(): TransportReason {
    return this._reason;
  }
  /** Whether the media socket is open. */
  get open(): boolean {
    return this._socket?.readyState === WebSocket.OPEN;
  }

  /** Whether our media and ``pid``'s go through the server (ours or theirs uses the socket). */
  relayedWith(pid: string): boolean {
    if (!this.supported) {
      return false;
    }
    return relayedPair(this._transport, this.model.roster.get(pid)?.transport);
  }

  /** Send our media over the socket from now on (``auto`` found that UDP does not pass). */
  useWebSocket(reason: TransportReason): void {
    if (!this.supported) {
      this._set('webrtc', 'no_webcodecs');
      return;
    }
    this._set('websocket', reason);
  }

  /** Back to WebRTC (in ``auto``, once a WebRTC connection connected). */
  useWebRtc(): void {
    if (this.mode !== 'websocket') {
      this._set('webrtc', null);
    }
  }

  /** Open-floor neighbours we talk to through the server (the peer manager says). */
  setRelayedPeers(peers: Iterable<string>): void {
    const next = new Set(peers);
    if (next.size === this._relayedPeers.size && [...next].every(p => this._relayedPeers.has(p))) {
      return;
    }
    this._relayedPeers = next;
    this._sync();
  }

  /** What each person sends us through the socket (live objects). */
  get remote(): ReadonlyMap<string, IRemoteMedia> {
    return this._remote;
  }

  /** One person's media as received (empty until something arrives). */
  remoteOf(pid: string): IRemoteMedia {
    let media = this._remote.get(pid);
    if (!media) {
      media = { audio: null, camera: null, screen: null };
      this._remote.set(pid, media);
    }
    return media;
  }

  /** What has come from ``pid`` (tests, diagnostics), in the shape of WebRTC's statistics. */
  stats(pid: string): IMediaStats {
    const out: IMediaStats = { audioBytes: 0, audioEnergy: 0, videoFrames: 0, sentBytes: this._sentBytes };
    for (const kind of KINDS) {
      const s = this._decoders.get(key(pid, kind))?.stats();
      if (!s) {
        continue;
      }
      if (kind === 'audio') {
        out.audioBytes += s.bytes;
        out.audioEnergy += this.mixer.level(pid);
      } else {
        out.videoFrames += s.framesDecoded;
      }
    }
    return out;
  }

  /** Each decoder's own figures, by kind (tests, diagnostics). */
  decoderStats(pid: string): Partial<Record<MediaKind, IDecoderStats>> {
    const out: Partial<Record<MediaKind, IDecoderStats>> = {};
    for (const kind of KINDS) {
      const decoder = this._decoders.get(key(pid, kind));
      if (decoder) {
        out[kind] = decoder.stats();
      }
    }
    return out;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._wires.forEach(w => w.dispose());
    window.clearTimeout(this._reopenTimer);
    this._closeSocket();
    Signal.clearData(this);
  }

  // -- the choice ----------------------------------------------------------

  /** Follow the mode; whether the server was told of a new transport. */
  private _configure(): boolean {
    const mode = this.mode;
    if (mode === 'websocket') {
      if (!this.supported) {
        return this._set('webrtc', 'no_webcodecs');
      }
      return this._set('websocket', this._serverMode === 'websocket' ? 'configured' : 'chosen');
    } else if (mode === 'webrtc' || this._reason === 'configured' || this._reason === 'chosen') {
      return this._set('webrtc', null);
    }
    return false;
  }

  /** Change how our media travels; whether the server was told. */
  private _set(transport: Transport, reason: TransportReason): boolean {
    if (transport === this._transport && reason === this._reason) {
      return false;
    }
    const told = transport !== this._transport && !!this.model.myId;
    this._transport = transport;
    this._reason = reason;
    if (told) {
      this.model.connection.send({ type: 'presence', transport });
    }
    this._sync();
    this._changed.emit();
    return told;
  }

  /** A new session has a new ticket: the socket opens again with it, and
   * the server hears our transport again (unless just told). */
  private _rejoined(tell: boolean): void {
    if (tell && this._transport === 'websocket') {
      this.model.connection.send({ type: 'presence', transport: this._transport });
    }
    this._closeSocket();
    this._sync();
  }

  // -- the socket ----------------------------------------------------------

  /** Open the socket while anything goes through it, decode only who we should hear. */
  private _sync(): void {
    if (this._disposed) {
      return;
    }
    const wanted = this.supported && (this._transport === 'websocket' || this._relayedPeers.size > 0);
    if (wanted && !this._socket && this._ticket && !this._reopenTimer) {
      this._openSocket();
    } else if (!wanted && this._socket) {
      this._closeSocket();
    }
    this._prune();
  }

  private _openSocket(): void {
    const url = this.model.connection.url;
    if (!url) {
      return;
    }
    const socket = new WebSocket(mediaSocketUrl(url, this._ticket));
    socket.binaryType = 'arraybuffer';
    this._socket = socket;
    socket.onopen = () => {
      this._attempt = 0;
      this._syncEncoders();
      this._changed.emit();
    };
    socket.onmessage = (event: MessageEvent) => this._onFrame(event.data);
    socket.onclose = () => {
      if (this._socket !== socket) {
        return;
      }
      this._socket = null;
      this._stopEncoders();
      this._changed.emit();
      // Open again while something still goes through it (a new ticket comes with a rejoin).
      const delay = REOPEN_DELAYS_MS[Math.min(this._attempt++, REOPEN_DELAYS_MS.length - 1)];
      this._reopenTimer = window.setTimeout(() => {
        this._reopenTimer = 0;
        this._sync();
      }, delay);
    };
  }

  private _closeSocket(): void {
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      socket.close();
    }
    this._stopEncoders();
    for (const pid of [...this._remote.keys()]) {
      this._drop(pid);
    }
    this._changed.emit();
  }

  // -- what we send --------------------------------------------------------

  private _syncEncoders(): void {
    if (!this.open) {
      return;
    }
    const tracks: Record<MediaKind, MediaStreamTrack | null> = {
      audio: this.media.micTrack,
      camera: this.media.cameraTrack,
      screen: this.media.screenTrack
    };
    for (const kind of KINDS) {
      const track = tracks[kind];
      const encoder = this._encoders.get(kind);
      if (encoder && (encoder.track !== track || encoder.isClosed)) {
        encoder.close();
        this._encoders.delete(kind);
      }
      if (track && !this._encoders.has(kind)) {
        const encoder = new TrackEncoder(track, kind, frame => this._send(frame));
        encoder.setLayers(this._layers.get(KIND_NUMBER[kind]) ?? null);
        this._encoders.set(kind, encoder);
      }
    }
  }

  private _send(frame: ArrayBuffer): void {
    const socket = this._socket;
    if (socket?.readyState === WebSocket.OPEN) {
      socket.send(frame);
      this._sentBytes += frame.byteLength;
    }
  }

  private _stopEncoders(): void {
    this._encoders.forEach(e => e.close());
    this._encoders.clear();
  }

  /** What we encode of each of our videos, per layer (tests, diagnostics). */
  sentStats(kind: MediaKind): IEncodedLayerStats[] {
    return this._encoders.get(kind)?.stats() ?? [];
  }

  /** The server says which layers of one of our videos someone watches (kept for this session). */
  private _setLayers(m: IMediaLayers): void {
    this._layers.set(m.kind, m.layers);
    const kind = KINDS.find(k => KIND_NUMBER[k] === m.kind);
    if (kind) {
      this._encoders.get(kind)?.setLayers(m.layers);
    }
  }

  private _keyFrame(m: IKeyFrameRequest): void {
    const kind = KINDS.find(k => KIND_NUMBER[k] === m.kind);
    if (kind) {
      this._encoders.get(kind)?.requestKeyFrame(m.layer);
    }
  }

  // -- what we receive -----------------------------------------------------

  private _onFrame(data: unknown): void {
    if (typeof data === 'string') {
      // The server's word on a frame of ours it refused.
      console.warn('classroom: the media socket says', data);
      return;
    }
    let frame;
    try {
      frame = parseFrame(data as ArrayBuffer);
    } catch (error) {
      if (error instanceof FrameError) {
        console.warn('classroom: a media frame could not be read:', error.message);
        return;
      }
      throw error;
    }
    const pid = this.model.roster.byNumber(frame.header.source);
    const kind = KINDS.find(k => KIND_NUMBER[k] === frame.header.kind);
    if (!pid || !kind || !this._hears(pid)) {
      return;
    }
    let decoder = this._decoders.get(key(pid, kind));
    if (!decoder) {
      // Lost key frames are the server's to ask for (it drops until one comes).
      decoder = new SourceDecoder(kind, this.mixer.context, () => undefined);
      this._decoders.set(key(pid, kind), decoder);
      this.remoteOf(pid)[REMOTE_KEY[kind]] = decoder.stream;
      if (kind === 'audio') {
        this._attachVoice(pid, decoder.stream);
      }
      this._changed.emit();
    }
    decoder.push(frame.header, frame.data);
  }

  /** Whether we should hear ``pid`` through the socket now: in our room, or a relayed neighbour. */
  private _hears(pid: string): boolean {
    return this._pathOf(pid) !== null;
  }

  private _pathOf(pid: string): VoicePath | null {
    const room = this.model.me?.room ?? null;
    if (room !== null && this._transport === 'websocket' && this.model.roster.get(pid)?.room === room) {
      return 'room';
    }
    return this._relayedPeers.has(pid) ? 'peer' : null;
  }

  private _attachVoice(pid: string, stream: MediaStream): void {
    const path = this._pathOf(pid);
    if (path) {
      this.mixer.attach(path, pid, stream);
      this._voicePaths.set(pid, path);
    }
  }

  /** Stop decoding whoever we no longer hear this way (they left our room, the pair ended). */
  private _prune(): void {
    let changed = false;
    for (const pid of [...this._remote.keys()]) {
      const path = this._pathOf(pid);
      if (path === null) {
        this._drop(pid);
        changed = true;
      } else if (this._voicePaths.has(pid) && this._voicePaths.get(pid) !== path) {
        // From our room to the open floor or back: the same voice, placed otherwise.
        this.mixer.detach(this._voicePaths.get(pid)!, pid);
        const audio = this._remote.get(pid)?.audio;
        if (audio) {
          this._attachVoice(pid, audio);
        }
      }
    }
    if (changed) {
      this._changed.emit();
    }
  }

  private _drop(pid: string): void {
    for (const kind of KINDS) {
      this._decoders.get(key(pid, kind))?.close();
      this._decoders.delete(key(pid, kind));
    }
    const path = this._voicePaths.get(pid);
    if (path) {
      this.mixer.detach(path, pid);
      this._voicePaths.delete(pid);
    }
    this._remote.delete(pid);
  }

  private _wires: IDisposable[];
  private _serverMode: TransportMode = 'auto';
  private _preferred: TransportMode = 'auto';
  private _transport: Transport = 'webrtc';
  private _reason: TransportReason = null;
  private _ticket = '';
  private _socket: WebSocket | null = null;
  private _attempt = 0;
  private _reopenTimer = 0;
  private _relayedPeers = new Set<string>();
  private _encoders = new Map<MediaKind, TrackEncoder>();
  /** The layers of each video kind the server last said someone watches (none said: all). */
  private _layers = new Map<number, number[]>();
  private _decoders = new Map<string, SourceDecoder>();
  private _remote = new Map<string, IRemoteMedia>();
  private _voicePaths = new Map<string, VoicePath>();
  private _sentBytes = 0;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}

function key(pid: string, kind: MediaKind): string {
  return `${kind}:${pid}`;
}
