import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ClassroomModel } from '../model/classroom';
import { IPeerSignal, IStreamSource } from '../protocol';
import { LocalMedia } from './media';
import { gainFor, panFor } from './spatial';

export type Source = 'camera' | 'screen_share';

/** What one remote peer sends us. */
export interface IRemoteMedia {
  audio: MediaStream | null;
  camera: MediaStream | null;
  screen: MediaStream | null;
}

/** Web Audio for one peer: source → gain (distance × volume) → pan → out. */
class Voice {
  constructor(ctx: AudioContext, stream: MediaStream, out: AudioNode) {
    // Chrome only feeds remote WebRTC audio into Web Audio while a media
    // element plays the stream too; that element stays muted.
    this.element = new Audio();
    this.element.muted = true;
    this.element.srcObject = stream;
    void this.element.play().catch(() => undefined);
    this.source = ctx.createMediaStreamSource(stream);
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 512;
    this.gain = ctx.createGain();
    this.panner = ctx.createStereoPanner();
    this.source.connect(this.analyser);
    this.source.connect(this.gain).connect(this.panner).connect(out);
  }

  level(): number {
    const data = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(data);
    let sum = 0;
    for (const v of data) {
      sum += v * v;
    }
    return Math.sqrt(sum / data.length);
  }

  close(): void {
    this.source.disconnect();
    this.gain.disconnect();
    this.panner.disconnect();
    this.element.srcObject = null;
  }

  readonly element: HTMLAudioElement;
  readonly source: MediaStreamAudioSourceNode;
  readonly analyser: AnalyserNode;
  readonly gain: GainNode;
  readonly panner: StereoPannerNode;
}

/**
 * One peer-to-peer call. Perfect negotiation: either side may add or remove
 * tracks at any time; the polite side yields when offers cross.
 */
export class PeerCall {
  constructor(
    readonly peer: string,
    readonly polite: boolean,
    private readonly _manager: PeerManager
  ) {
    const model = _manager.model;
    this.pc = new RTCPeerConnection({ iceServers: model.iceServers as RTCIceServer[] });
    this.pc.onnegotiationneeded = async () => {
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
    this.pc.oniceconnectionstatechange = () => {
      if (this.pc.iceConnectionState === 'failed') {
        this.pc.restartIce();
      }
    };
    this.pc.onconnectionstatechange = () => _manager.callsChanged();
    this.pc.ontrack = ({ track, streams }) => this._onTrack(track, streams[0]);
    this.syncTracks();
  }

  readonly pc: RTCPeerConnection;
  readonly remote: IRemoteMedia = { audio: null, camera: null, screen: null };

  /** Send what we have: microphone, camera, screen; stop sending what we dropped. */
  syncTracks(): void {
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

  async handle(message: IPeerSignal): Promise<void> {
    for (const s of message.sources ?? []) {
      this._sources.set(s.stream, s.source);
    }
    try {
      if (message.description) {
        const description = message.description as RTCSessionDescriptionInit;
        const collision =
          description.type === 'offer' && (this._makingOffer || this.pc.signalingState !== 'stable');
        this._ignoreOffer = !this.polite && collision;
        if (this._ignoreOffer) {
          return;
        }
        await this.pc.setRemoteDescription(description);
        if (description.type === 'offer') {
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

  close(): void {
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }

  private _signal(data: { description?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit }): void {
    const media = this._manager.media;
    const sources: IStreamSource[] = [
      { stream: media.userStream.id, source: 'camera' },
      { stream: media.screenStream.id, source: 'screen_share' }
    ];
    this._manager.model.signal(this.peer, data, data.description ? sources : undefined);
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
  private _sources = new Map<string, Source>();
}

/**
 * The open-floor mesh as the server decides it: one call per paired
 * neighbour, spatial audio by distance and side.
 */
export class PeerManager implements IDisposable {
  constructor(
    readonly model: ClassroomModel,
    readonly media: LocalMedia
  ) {
    model.peerRequested.connect((_, { peer, offerer }) => this._open(peer, !offerer), this);
    model.peerReleased.connect((_, peer) => this._close(peer), this);
    model.signalReceived.connect((_, message) => void this._calls.get(message.sender)?.handle(message), this);
    model.joined.connect(this._closeAll, this);
    media.changed.connect(() => this._calls.forEach(c => c.syncTracks()), this);
    this._timer = window.setInterval(() => this.updateVoices(), 100);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The calls by peer id. */
  get calls(): ReadonlyMap<string, PeerCall> {
    return this._calls;
  }

  /** Per-person volume (0..1) chosen in the participant list. */
  volume(peer: string): number {
    return this._volumes.get(peer) ?? 1;
  }

  setVolume(peer: string, volume: number): void {
    this._volumes.set(peer, volume);
    this.updateVoices();
  }

  /** The gain applied to a peer's voice right now (distance × volume). */
  gain(peer: string): number | null {
    return this._voices.get(peer)?.gain.gain.value ?? null;
  }

  /** How loud a participant is speaking (0..1), ourselves included. */
  level(pid: string): number {
    if (pid === this.model.myId) {
      return this._localLevel();
    }
    return this._voices.get(pid)?.level() ?? 0;
  }

  /** Start sound after a user gesture (browsers keep audio suspended until then). */
  resume(): void {
    void this._context().resume();
  }

  async setSpeaker(deviceId: string): Promise<void> {
    const ctx = this._context() as AudioContext & { setSinkId?: (id: string) => Promise<void> };
    if (ctx.setSinkId) {
      await ctx.setSinkId(deviceId);
    }
  }

  attachVoice(peer: string, stream: MediaStream): void {
    this._voices.get(peer)?.close();
    const ctx = this._context();
    this._voices.set(peer, new Voice(ctx, stream, ctx.destination));
    this.updateVoices();
  }

  /** Follow positions: gain by distance, pan by side. No renegotiation. */
  updateVoices(): void {
    const model = this.model;
    const me = model.myId;
    const config = model.config;
    if (!me || !config || !this._ctx) {
      return;
    }
    const now = performance.now();
    const mine = model.positionOf(me, now);
    for (const [peer, voice] of this._voices) {
      const theirs = model.positionOf(peer, now);
      if (!mine || !theirs) {
        continue;
      }
      const dx = theirs[0] - mine[0];
      const d = Math.hypot(dx, theirs[1] - mine[1]);
      const g = gainFor(d, config.proximity_radius, config.proximity_drop_radius) * this.volume(peer);
      voice.gain.gain.setTargetAtTime(g, this._ctx.currentTime, 0.05);
      voice.panner.pan.setTargetAtTime(panFor(dx, config.proximity_radius), this._ctx.currentTime, 0.05);
    }
  }

  callsChanged(): void {
    this._changed.emit();
  }

  /** Inbound statistics of a call, for diagnostics and tests. */
  async stats(peer: string): Promise<Record<string, number>> {
    const call = this._calls.get(peer);
    const out: Record<string, number> = { audioBytes: 0, audioEnergy: 0, videoFrames: 0, sentBytes: 0 };
    if (!call) {
      return out;
    }
    const report = await call.pc.getStats();
    report.forEach((s: any) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.audioBytes += s.bytesReceived ?? 0;
        out.audioEnergy += s.totalAudioEnergy ?? 0;
      } else if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.videoFrames += s.framesDecoded ?? 0;
      } else if (s.type === 'outbound-rtp') {
        out.sentBytes += s.bytesSent ?? 0;
      }
    });
    return out;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    window.clearInterval(this._timer);
    this._closeAll();
    void this._ctx?.close();
    Signal.clearData(this);
  }

  private _context(): AudioContext {
    if (!this._ctx) {
      this._ctx = new AudioContext();
    }
    return this._ctx;
  }

  private _localLevel(): number {
    const track = this.media.micTrack;
    if (!track || !track.enabled) {
      return 0;
    }
    if (!this._local || this._localTrack !== track) {
      const ctx = this._context();
      const source = ctx.createMediaStreamSource(new MediaStream([track]));
      this._local = ctx.createAnalyser();
      this._local.fftSize = 512;
      source.connect(this._local);
      this._localTrack = track;
    }
    const data = new Float32Array(this._local.fftSize);
    this._local.getFloatTimeDomainData(data);
    return Math.sqrt(data.reduce((a, v) => a + v * v, 0) / data.length);
  }

  private _open(peer: string, polite: boolean): void {
    this._close(peer);
    this._calls.set(peer, new PeerCall(peer, polite, this));
    this._changed.emit();
  }

  private _close(peer: string): void {
    const call = this._calls.get(peer);
    if (call) {
      call.close();
      this._calls.delete(peer);
    }
    const voice = this._voices.get(peer);
    if (voice) {
      voice.close();
      this._voices.delete(peer);
    }
    this._changed.emit();
  }

  private _closeAll(): void {
    for (const peer of [...this._calls.keys()]) {
      this._close(peer);
    }
  }

  private _calls = new Map<string, PeerCall>();
  private _voices = new Map<string, Voice>();
  private _volumes = new Map<string, number>();
  private _ctx: AudioContext | null = null;
  private _local: AnalyserNode | null = null;
  private _localTrack: MediaStreamTrack | null = null;
  private _timer = 0;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}
