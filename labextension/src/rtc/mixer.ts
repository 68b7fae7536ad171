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
 * Every voice we hear, open floor and rooms alike, through one AudioContext:
 * a gain per voice (the open floor sets it from distance, rooms leave it at
 * full volume), each person's own volume, and the speaker device.
 */
export class AudioMixer implements IDisposable {
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Play a person's voice from a path; replaces what that path played for them. */
  attach(path: VoicePath, pid: string, stream: MediaStream): void {
    this.detach(path, pid);
    const ctx = this._context();
    const voice = new Voice(ctx, stream, ctx.destination);
    voice.gain.gain.value = this.volume(pid);
    this._voices.set(key(path, pid), voice);
  }

  detach(path: VoicePath, pid: string): void {
    const voice = this._voices.get(key(path, pid));
    if (voice) {
      voice.close();
      this._voices.delete(key(path, pid));
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
      const t = this._ctx.currentTime;
      voice.gain.gain.setTargetAtTime(gain * this.volume(pid), t, 0.05);
      voice.panner.pan.setTargetAtTime(pan, t, 0.05);
    }
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

  /** Start sound after a user gesture. */
  resume(): void {
    void this._context().resume();
  }

  async setSpeaker(deviceId: string): Promise<void> {
    const ctx = this._context() as AudioContext & { setSinkId?: (id: string) => Promise<void> };
    if (ctx.setSinkId) {
      await ctx.setSinkId(deviceId);
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
    void this._ctx?.close();
  }

  private _context(): AudioContext {
    if (!this._ctx) {
      this._ctx = new AudioContext();
    }
    return this._ctx;
  }

  private _voices = new Map<string, Voice>();
  private _volumes = new Map<string, number>();
  private _ctx: AudioContext | null = null;
  private _local: AnalyserNode | null = null;
  private _localTrack: MediaStreamTrack | null = null;
  private _disposed = false;
}

function key(path: VoicePath, pid: string): string {
  return `${path}:${pid}`;
}
