import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IPeerSignal, IStreamSource } from '../protocol';
import { IClassroom, IPeers } from '../tokens';
import { LocalMedia } from './media';
import { AudioMixer } from './mixer';
import { IMediaStats, summarize } from './stats';
import { sendPeerSignal } from './signaling';
import { gainFor, panFor } from './spatial';
import { callAction, ICallHealth } from './watchdog';
import { IIceProgress } from './wsmedia/route';
import { SocketMedia } from './wsmedia/socketmedia';

export type Source = 'camera' | 'screen_share';

/** What one remote peer sends us. */
export interface IRemoteMedia {
  audio: MediaStream | null;
  camera: MediaStream | null;
  screen: MediaStream | null;
}

/**
 * One peer-to-peer call. The server names the offerer: only it makes the
 * first offer, and the answerer adds its own tracks only once it has applied
 * that offer, so the first offers never cross (an answerer that offered too
 * could be rolled back mid-`setLocalDescription()` and left with ICE
 * gathering stuck). Later changes (a camera, a screen) renegotiate with
 * perfect negotiation, the answerer being the polite side.
 */
export class PeerCall {
  /** A direct call: its own connection, not the server's media socket. */
  readonly relayed = false;

  constructor(
    readonly peer: string,
    readonly offerer: boolean,
    /** This connection's number (see `signal.call`); the answerer learns it from the offer. */
    public generation: number | null,
    private readonly _manager: PeerManager
  ) {
    const model = _manager.model;
    this.polite = !offerer;
    this._sending = offerer;
    this.pc = new RTCPeerConnection({ iceServers: model.iceServers as RTCIceServer[] });
    this.pc.onnegotiationneeded = async () => {
      if (!this._sending) {
        return;
      }
      try {
        this._makingOffer = true;
        await this.pc.setLocalDescription();
        this._signal({ description: this.pc.localDescription!.toJSON() });
      } catch (error) {
        console.warn('classroom: negotiation failed', error);
      } finally {
        this._makingOffer = false;
      }
    };
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate) {
        this._signal({ candidate: candidate.toJSON() });
      }
    };
    this.pc.onconnectionstatechange = () => {
      const connected = this.pc.connectionState === 'connected';
      if (connected) {
        this._health.everConnected = true;
        this._health.restarted = false;
      } else if (this._health.connected) {
        this._health.since = performance.now();
      }
      this._health.connected = connected;
      _manager.callsChanged();
    };
    this.pc.oniceconnectionstatechange = () => {
      const state = this.pc.iceConnectionState;
      if (state === 'checking' && this._checkingSince === null) {
        this._checkingSince = performance.now();
      } else if (state === 'connected' || state === 'completed') {
        this._checkingSince = null;
      }
    };
    this.pc.ontrack = ({ track, streams }) => this._onTrack(track, streams[0]);
    this.syncTracks();
    if (offerer && !this.pc.getTransceivers().some(t => t.receiver.track.kind === 'audio')) {
      // Without a microphone there would be nothing to offer: still ask for
      // the other's voice (their microphone reuses this transceiver).
      this.pc.addTransceiver('audio', { direction: 'recvonly' });
    }
  }

  readonly pc: RTCPeerConnection;
  readonly polite: boolean;
  readonly remote: IRemoteMedia = { audio: null, camera: null, screen: null };

  /** What the watchdog needs to know (see `callAction`). */
  get health(): Readonly<ICallHealth> {
    return this._health;
  }

  /** How far ICE got (for the automatic choice of transport). */
  get ice(): IIceProgress {
    const state = this.pc.iceConnectionState;
    return {
      checkingSince: this._checkingSince,
      failed: state === 'failed',
      connected: state === 'connected' || state === 'completed'
    };
  }

  /** The connection's state, as tests and diagnostics read it. */
  get state(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /** Send what we have: microphone, camera, screen; stop sending what we dropped. */
  syncTracks(): void {
    if (!this._sending) {
      return;
    }
    const media = this._manager.media;
    const wanted = new Map<MediaStreamTrack, MediaStream>();
    if (media.micTrack) {
      wanted.set(media.micTrack, media.userStream);
    }
    if (media.cameraTrack) {
      wanted.set(media.cameraTrack, media.userStream);
    }
    if (media.screenTrack) {
      wanted.set(media.screenTrack, media.screenStream);
    }
    for (const sender of this.pc.getSenders()) {
      if (sender.track && !wanted.has(sender.track)) {
        this.pc.removeTrack(sender);
      }
    }
    const sending = new Set(this.pc.getSenders().map(s => s.track));
    for (const [track, stream] of wanted) {
      if (!sending.has(track)) {
        this.pc.addTrack(track, stream);
      }
    }
  }

  /** Apply signaling from the peer, one message at a time in arrival order. */
  handle(message: IPeerSignal): Promise<void> {
    this._queue = this._queue.then(() => this._handle(message));
    return this._queue;
  }

  /** Restart ICE (the offerer's job: its next offer carries new credentials). */
  restartIce(): void {
    this._health.restarted = true;
    this.pc.restartIce();
  }

  close(): void {
    this._closed = true;
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.oniceconnectionstatechange = null;
    this.pc.close();
  }

  private async _handle(message: IPeerSignal): Promise<void> {
    if (this._closed) {
      return;
    }
    for (const s of message.sources ?? []) {
      this._sources.set(s.stream, s.source);
    }
    try {
      if (message.description) {
        const description = message.description as RTCSessionDescriptionInit;
        const collision = description.type === 'offer' && (this._makingOffer || this.pc.signalingState !== 'stable');
        this._ignoreOffer = !this.polite && collision;
        if (this._ignoreOffer) {
          return;
        }
        await this.pc.setRemoteDescription(description);
        if (description.type === 'offer') {
          if (!this._sending) {
            // Our tracks take the transceivers the offer created: the answer
            // carries them, with no offer of our own.
            this._sending = true;
            this.syncTracks();
          }
          await this.pc.setLocalDescription();
          this._signal({ description: this.pc.localDescription!.toJSON() });
        }
      } else if (message.candidate) {
        try {
          await this.pc.addIceCandidate(message.candidate as RTCIceCandidateInit);
        } catch (error) {
          if (!this._ignoreOffer) {
            throw error;
          }
        }
      }
    } catch (error) {
      console.warn('classroom: signaling failed', error);
    }
  }

  private _signal(data: { description?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit }): void {
    const media = this._manager.media;
    const sources: IStreamSource[] = [
      { stream: media.userStream.id, source: 'camera' },
      { stream: media.screenStream.id, source: 'screen_share' }
    ];
    sendPeerSignal(
      this._manager.model.connection,
      this.peer,
      data,
      data.description ? sources : undefined,
      this.generation ?? undefined
    );
  }

  private _onTrack(track: MediaStreamTrack, stream: MediaStream | undefined): void {
    stream = stream ?? new MediaStream([track]);
    if (track.kind === 'audio') {
      this.remote.audio = stream;
      this._manager.attachVoice(this.peer, stream);
    } else {
      const key = this._sources.get(stream.id) === 'screen_share' ? 'screen' : 'camera';
      this.remote[key] = stream;
      const gone = () => {
        if (!stream!.getVideoTracks().some(t => t.readyState === 'live' && !t.muted)) {
          if (this.remote[key] === stream) {
            this.remote[key] = null;
            this._manager.callsChanged();
          }
        }
      };
      stream.addEventListener('removetrack', gone);
      track.addEventListener('mute', gone);
      track.addEventListener('unmute', () => {
        this.remote[key] = stream!;
        this._manager.callsChanged();
      });
    }
    this._manager.callsChanged();
  }

  private _makingOffer = false;
  private _ignoreOffer = false;
  private _sending: boolean;
  private _closed = false;
  private _queue: Promise<void> = Promise.resolve();
  private _health: ICallHealth = {
    connected: false,
    everConnected: false,
    since: performance.now(),
    restarted: false
  };
  private _sources = new Map<string, Source>();
  private _checkingSince: number | null = null;
}

/**
 * A call that goes through the server's media socket (one of the two has no
 * UDP): no connection of its own; what the peer sends comes as frames.
 */
export class RelayedCall {
  constructor(
    readonly peer: string,
    readonly offerer: boolean,
    private readonly _socket: SocketMedia
  ) {}

  readonly relayed = true;

  get remote(): IRemoteMedia {
    return this._socket.remoteOf(this.peer);
  }

  get health(): Readonly<ICallHealth> {
    const connected = this._socket.open;
    return { connected, everConnected: connected, since: this._since, restarted: false };
  }

  get state(): RTCPeerConnectionState {
    return this._socket.open ? 'connected' : 'connecting';
  }

  private _since = performance.now();
}

export type Call = PeerCall | RelayedCall;

/**
 * The open-floor mesh as the server decides it: one call per paired
 * neighbour, spatial audio by distance and side.
 */
export class PeerManager implements IPeers {
  constructor(
    readonly model: IClassroom,
    readonly media: LocalMedia,
    readonly mixer: AudioMixer,
    readonly socket: SocketMedia
  ) {
    // Our transport or a neighbour's changed: the calls it touches go the other way.
    socket.changed.connect(this._reroute, this);
    model.roster.participantUpdated.connect(this._reroute, this);
    this._wires = [
      model.connection.on('peer_connect', m => this._open(m.peer, m.offerer)),
      model.connection.on('peer_disconnect', m => this._close(m.peer)),
      model.connection.on('signal', m => this._onSignal(m))
    ];
    model.joined.connect(this._closeAll, this);
    media.changed.connect(() => this._calls.forEach(c => c instanceof PeerCall && c.syncTracks()), this);
    this._timer = window.setInterval(() => this.updateVoices(), 100);
    this._watchdog = window.setInterval(() => this._watch(), 1000);
  }

  /** How many calls were rebuilt because they did not connect or did not come back. */
  get rebuilt(): number {
    return this._rebuilt;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The calls by peer id. */
  get calls(): ReadonlyMap<string, Call> {
    return this._calls;
  }

  /** How far ICE got in each direct call (for the automatic choice of transport). */
  get ice(): IIceProgress[] {
    return [...this._calls.values()].filter((c): c is PeerCall => c instanceof PeerCall).map(c => c.ice);
  }

  /** The gain applied to a peer's voice right now (distance × volume). */
  gain(peer: string): number | null {
    return this.mixer.gain('peer', peer);
  }

  attachVoice(peer: string, stream: MediaStream): void {
    this.mixer.attach('peer', peer, stream);
    this.updateVoices();
  }

  /** Follow positions: gain by distance, pan by side. No renegotiation. */
  updateVoices(): void {
    const model = this.model;
    const me = model.myId;
    const config = model.config;
    if (!me || !config) {
      return;
    }
    const now = performance.now();
    const mine = model.positionOf(me, now);
    for (const peer of this._calls.keys()) {
      const theirs = model.positionOf(peer, now);
      if (!mine || !theirs || !this.mixer.has('peer', peer)) {
        continue;
      }
      const dx = theirs[0] - mine[0];
      const d = Math.hypot(dx, theirs[1] - mine[1]);
      // Without spatial audio (a setting) every neighbour sounds alike, from the middle.
      const g = this.spatial ? gainFor(d, config.proximity_radius, config.proximity_drop_radius) : 1;
      this.mixer.place('peer', peer, g, this.spatial ? panFor(dx, config.proximity_radius) : 0);
    }
  }

  /** Whether voices fade with distance and come from the side people stand on. */
  spatial = true;

  callsChanged(): void {
    this._changed.emit();
  }

  /** Inbound statistics of a call, for diagnostics and tests. */
  async stats(peer: string): Promise<IMediaStats> {
    const call = this._calls.get(peer);
    if (call instanceof RelayedCall) {
      return this.socket.stats(peer);
    }
    return summarize(call ? [await call.pc.getStats()] : []);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    window.clearInterval(this._timer);
    window.clearInterval(this._watchdog);
    this._wires.forEach(w => w.dispose());
    this._closeAll();
    Signal.clearData(this);
  }

  private _open(peer: string, offerer: boolean, generation: number | null = null): void {
    this._close(peer);
    if (offerer) {
      // Numbers only grow, even across a reload of this page, so the other
      // side can always tell a newer call from an older one.
      this._generation = Math.max(this._generation + 1, Date.now());
      generation = this._generation;
    }
    this._calls.set(
      peer,
      this.socket.relayedWith(peer)
        ? new RelayedCall(peer, offerer, this.socket)
        : new PeerCall(peer, offerer, generation, this)
    );
    this._relayed();
    this._changed.emit();
  }

  /** Calls whose way no longer fits (ours or the peer's transport changed) are made again. */
  private _reroute(): void {
    for (const [peer, call] of [...this._calls]) {
      if (call instanceof RelayedCall !== this.socket.relayedWith(peer)) {
        this._open(peer, call.offerer);
      }
    }
  }

  /** Tell the socket which neighbours we talk to through it. */
  private _relayed(): void {
    this.socket.setRelayedPeers([...this._calls].filter(([, c]) => c instanceof RelayedCall).map(([p]) => p));
  }

  private _onSignal(message: IPeerSignal): void {
    let call = this._calls.get(message.sender);
    if (!(call instanceof PeerCall)) {
      return;
    }
    const generation = message.call ?? null;
    if (generation !== null && call.generation !== null && generation !== call.generation) {
      const rebuiltByOfferer = !call.offerer && generation > call.generation && message.description?.type === 'offer';
      if (!rebuiltByOfferer) {
        return; // meant for a call that no longer exists
      }
      this._open(message.sender, false, generation);
      const rebuilt = this._calls.get(message.sender);
      if (!(rebuilt instanceof PeerCall)) {
        return;
      }
      call = rebuilt;
    }
    if (call.generation === null && !call.offerer) {
      call.generation = generation;
    }
    void call.handle(message);
  }

  /** The offerer looks after each call: ICE restart after a lasting drop, a new call if that fails. */
  private _watch(): void {
    const now = performance.now();
    for (const [peer, call] of [...this._calls]) {
      if (!call.offerer || !(call instanceof PeerCall)) {
        continue;
      }
      switch (callAction(call.health, now)) {
        case 'restart':
          call.restartIce();
          break;
        case 'rebuild':
          this._rebuilt++;
          this._open(peer, true);
          break;
      }
    }
  }

  private _close(peer: string): void {
    const call = this._calls.get(peer);
    if (call) {
      if (call instanceof PeerCall) {
        call.close();
        this.mixer.detach('peer', peer);
      }
      this._calls.delete(peer);
    }
    this._relayed();
    this._changed.emit();
  }

  private _closeAll(): void {
    for (const peer of [...this._calls.keys()]) {
      this._close(peer);
    }
  }

  private _calls = new Map<string, Call>();
  private _wires: IDisposable[];
  private _timer = 0;
  private _watchdog = 0;
  private _generation = 0;
  private _rebuilt = 0;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}
