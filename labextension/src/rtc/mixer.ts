import { IDisposable } from '@lumino/disposable';

/** Where a voice comes from: a peer-to-peer call or the room's conference. */
export type VoicePath = 'peer' | 'room';

/** Web Audio for one voice: source → gain (distance × volume) → pan → out. */
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
    return rms(this.analyser);
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

function rms(analyser: AnalyserNode): number {
  const data = new Float32Array(analyser.fftSize);
  analyser.getFloatTimeDomainData(data);
  let sum = 0;
  for (const v of data) {
    sum += v * v;
  }
  return Math.sqrt(sum / data.length);
}

/**
 * Chrome does not echo-cancel sound played through Web Audio (Chromium bug
 * 687574): its canceller only hears what WebRTC itself plays. So in Chromium
 * the mixed voices go through a pair of RTCPeerConnections inside this page
 * and an <audio> element plays the receiving end, which the canceller covers.
 * Stereo Opus at a high bitrate keeps the pan and the quality.
 */
export class Loopback {
  /** `failed` is called once if the pair does not connect (then nothing plays through it). */
  constructor(stream: MediaStream, failed: () => void) {
    this._failed = failed;
    this.element = new Audio();
    this.element.autoplay = true;
    this._sender.addTrack(stream.getAudioTracks()[0], stream);
    this._receiver.ontrack = ({ track }) => {
      this.element.srcObject = new MediaStream([track]);
      void this.element.play().catch(() => undefined);
    };
    this._sender.onicecandidate = ({ candidate }) =>
      candidate && void this._receiver.addIceCandidate(candidate).catch(() => undefined);
    this._receiver.onicecandidate = ({ candidate }) =>
      candidate && void this._sender.addIceCandidate(candidate).catch(() => undefined);
    this._receiver.onconnectionstatechange = () => {
      const state = this._receiver.connectionState;
      if (state === 'connected') {
        window.clearTimeout(this._timer);
      } else if (state === 'failed') {
        this._fail();
      }
    };
    // Without microphone permission Chrome hides host addresses behind mDNS
    // names, which may not resolve here: then the sound must go another way.
    this._timer = window.setTimeout(() => this._fail(), LOOPBACK_TIMEOUT_MS);
    void this._connect().catch(error => {
      console.warn('classroom: audio loopback failed', error);
      this._fail();
    });
  }

  /** The element that plays every voice. */
  readonly element: HTMLAudioElement;

  /** The receiving connection (its track is what the element plays). */
  get receiver(): RTCPeerConnection {
    return this._receiver;
  }

  play(): void {
    if (this.element.srcObject) {
      void this.element.play().catch(() => undefined);
    }
  }

  close(): void {
    window.clearTimeout(this._timer);
    this._receiver.onconnectionstatechange = null;
    this.element.srcObject = null;
    this._sender.close();
    this._receiver.close();
  }

  private _fail(): void {
    if (this._receiver.connectionState !== 'connected' && this._failed) {
      const failed = this._failed;
      this._failed = null;
      this.close();
      failed();
    }
  }

  private async _connect(): Promise<void> {
    const offer = await this._sender.createOffer();
    offer.sdp = stereoOpus(offer.sdp!);
    await this._sender.setLocalDescription(offer);
    await this._receiver.setRemoteDescription(offer);
    const answer = await this._receiver.createAnswer();
    // The receiver's fmtp is what tells the sender to encode in stereo.
    answer.sdp = stereoOpus(answer.sdp!);
    await this._receiver.setLocalDescription(answer);
    await this._sender.setRemoteDescription(answer);
  }

  private _failed: (() => void) | null;
  private _timer = 0;
  // Both ends are in this page: no ICE servers, host candidates only.
  private _sender = new RTCPeerConnection({ iceServers: [] });
  private _receiver = new RTCPeerConnection({ iceServers: [] });
}

/** How long the loopback may take to connect before the mix plays directly. */
const LOOPBACK_TIMEOUT_MS = 5000;

/** Opus in stereo at up to 256 kbit/s, without the voice-only DTX. */
export function stereoOpus(sdp: string): string {
  const pt = /a=rtpmap:(\d+) opus\/48000/i.exec(sdp)?.[1];
  if (!pt) {
    return sdp;
  }
  return sdp.replace(new RegExp(`(a=fmtp:${pt} )([^\r\n]*)`), (_, head: string, params: string) => {
    const kept = params
      .split(';')
      .map(p => p.trim())
      .filter(p => p && !/^(stereo|sprop-stereo|maxaveragebitrate|usedtx)=/.test(p));
    return head + [...kept, 'stereo=1', 'sprop-stereo=1', 'maxaveragebitrate=256000'].join(';');
  });
}

/** Whether this browser is Chrome or another Chromium (Edge, Opera...). */
export function isChromium(): boolean {
  const brands = (navigator as Navigator & { userAgentData?: { brands: { brand: string }[] } }).userAgentData?.brands;
  if (brands) {
    return brands.some(b => b.brand === 'Chromium');
  }
  return /\b(Chrome|Chromium)\//.test(navigator.userAgent);
}

/**
 * Every voice we hear, open floor and rooms alike, through one AudioContext:
 * a gain per voice (the open floor sets it from distance, rooms leave it at
 * full volume), each person's own volume, and the speaker device. In
 * Chromium the mix plays through a {@link Loopback} so that the echo
 * canceller hears it; elsewhere straight from the AudioContext.
 */
export class AudioMixer implements IDisposable {
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The context every voice plays in (made on first use). */
  get context(): AudioContext {
    return this._context();
  }

  /** Play a person's voice from a path; replaces what that path played for them. */
  attach(path: VoicePath, pid: string, stream: MediaStream): void {
    this.detach(path, pid);
    const ctx = this._context();
    const voice = new Voice(ctx, stream, this._out!);
    voice.gain.gain.value = this.volume(pid) * this._duckOf(pid);
    this._voices.set(key(path, pid), voice);
  }

  detach(path: VoicePath, pid: string): void {
    const voice = this._voices.get(key(path, pid));
    if (voice) {
      voice.close();
      this._voices.delete(key(path, pid));
      this._placed.delete(key(path, pid));
    }
  }

  /** Whether a path plays a person's voice. */
  has(path: VoicePath, pid: string): boolean {
    return this._voices.has(key(path, pid));
  }

  /** Set a voice's gain (before the person's own volume) and pan (-1..1). */
  place(path: VoicePath, pid: string, gain: number, pan = 0): void {
    const voice = this._voices.get(key(path, pid));
    if (voice && this._ctx) {
      this._placed.set(key(path, pid), { path, pid, gain, pan });
      const t = this._ctx.currentTime;
      voice.gain.gain.setTargetAtTime(gain * this.volume(pid) * this._duckOf(pid), t, 0.05);
      voice.panner.pan.setTargetAtTime(pan, t, 0.05);
    }
  }

  /**
   * Lower every voice but those of ``keep`` to ``factor`` (a broadcast: the
   * instructor and whoever has the floor stay at full volume); null: no
   * ducking.
   */
  duck(keep: Iterable<string> | null, factor = 0.25): void {
    this._duck = keep === null ? null : { keep: new Set(keep), factor };
    for (const [k, voice] of this._voices) {
      const placed = this._placed.get(k);
      const pid = k.slice(k.indexOf(':') + 1);
      if (placed) {
        this.place(placed.path, placed.pid, placed.gain, placed.pan);
      } else if (this._ctx) {
        voice.gain.gain.setTargetAtTime(this.volume(pid) * this._duckOf(pid), this._ctx.currentTime, 0.05);
      }
    }
  }

  private _duckOf(pid: string): number {
    const duck = this._duck;
    return duck && !duck.keep.has(pid) ? duck.factor : 1;
  }

  /** The gain applied to a voice right now. */
  gain(path: VoicePath, pid: string): number | null {
    return this._voices.get(key(path, pid))?.gain.gain.value ?? null;
  }

  /** Per-person volume (0..1) chosen in the participant list. */
  volume(pid: string): number {
    return this._volumes.get(pid) ?? 1;
  }

  setVolume(pid: string, volume: number): void {
    this._volumes.set(pid, volume);
    if (this.has('room', pid)) {
      this.place('room', pid, 1);
    }
  }

  /** How loud a person sounds (0..1), whichever path brings them. */
  level(pid: string): number {
    let level = 0;
    for (const path of ['peer', 'room'] as VoicePath[]) {
      const voice = this._voices.get(key(path, pid));
      if (voice) {
        level = Math.max(level, voice.level());
      }
    }
    return level;
  }

  /** How loud our own microphone is (0..1). */
  localLevel(track: MediaStreamTrack | null): number {
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
    return rms(this._local);
  }

  /** The echo-cancelled path the voices play through, in Chromium (null elsewhere or before any sound). */
  get loopback(): Loopback | null {
    return this._loopback;
  }

  /** Start sound after a user gesture. */
  resume(): void {
    void this._context().resume();
    this._loopback?.play();
  }

  async setSpeaker(deviceId: string): Promise<void> {
    this._speaker = deviceId;
    this._context();
    const sink = (this._loopback?.element ?? this._ctx) as { setSinkId?: (id: string) => Promise<void> };
    if (sink.setSinkId) {
      await sink.setSinkId(deviceId);
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    for (const voice of this._voices.values()) {
      voice.close();
    }
    this._voices.clear();
    this._loopback?.close();
    void this._ctx?.close();
  }

  private _context(): AudioContext {
    if (!this._ctx) {
      this._ctx = new AudioContext();
      if (isChromium()) {
        const bus = this._ctx.createGain();
        const out = this._ctx.createMediaStreamDestination();
        out.channelCount = 2;
        bus.connect(out);
        this._loopback = new Loopback(out.stream, () => {
          // Better echo than silence.
          console.warn('classroom: audio loopback did not connect; playing voices directly');
          this._loopback = null;
          bus.disconnect();
          bus.connect(this._ctx!.destination);
          if (this._speaker) {
            void this.setSpeaker(this._speaker).catch(() => undefined);
          }
        });
        this._out = bus;
      } else {
        this._out = this._ctx.destination;
      }
    }
    return this._ctx;
  }

  private _voices = new Map<string, Voice>();
  /** Each placed voice's gain and pan before volume and ducking. */
  private _placed = new Map<string, { path: VoicePath; pid: string; gain: number; pan: number }>();
  private _duck: { keep: Set<string>; factor: number } | null = null;
  private _volumes = new Map<string, number>();
  private _ctx: AudioContext | null = null;
  private _out: AudioNode | null = null;
  private _loopback: Loopback | null = null;
  private _speaker = '';
  private _local: AnalyserNode | null = null;
  private _localTrack: MediaStreamTrack | null = null;
  private _disposed = false;
}

function key(path: VoicePath, pid: string): string {
  return `${path}:${pid}`;
}
