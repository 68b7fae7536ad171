import { FRAME_KIND_AUDIO, FRAME_LAYER_LARGE, FRAME_LAYER_SMALL } from '../../protocol';
import { ICapture, captureAudio, captureVideo } from './capture';
import { KIND_NUMBER, MediaKind, packFrame } from './frames';
import { IAudioData, IAudioEncoder, IEncodedAudioChunk, audioCodecs, webCodecsGlobals } from './types';

/** Whether this browser can encode and decode media for the media socket. */
export function webCodecsSupported(): boolean {
  const g = webCodecsGlobals();
  return !!(g.AudioEncoder && g.VideoEncoder && g.AudioDecoder && g.VideoDecoder && g.EncodedVideoChunk);
}

/** What one layer of a track has sent, for the call's statistics. */
export interface IEncodedLayerStats {
  layer: number;
  frames: number;
  keyFrames: number;
  bytes: number;
  /** Raw frames skipped because the encoder was behind. */
  skipped: number;
  /** Raw frames not encoded because nobody watches this layer (the server said so). */
  idle: number;
}

/** The size and rate of one encoding of a video track. */
interface ILayerSpec {
  layer: number;
  width: number;
  height: number;
  bitrate: number;
}

/**
 * A camera goes out twice, so that the server can forward the small one to
 * whoever shows it in a thumbnail; a screen once, large, since a small
 * screen is unreadable.
 */
const VIDEO_LAYERS: Readonly<Record<'camera' | 'screen', ILayerSpec[]>> = {
  camera: [
    { layer: FRAME_LAYER_SMALL, width: 320, height: 180, bitrate: 150_000 },
    { layer: FRAME_LAYER_LARGE, width: 640, height: 360, bitrate: 500_000 }
  ],
  screen: [{ layer: FRAME_LAYER_LARGE, width: 1280, height: 720, bitrate: 1_000_000 }]
};

const AUDIO_BITRATE = 32_000;
/** Microseconds: one Opus frame, the unit the server forwards and a receiver conceals. */
export const AUDIO_FRAME_US = 20_000;

/** A key frame at least this often, so a receiver that lost one waits no longer. */
const KEY_FRAME_INTERVAL_MS = 5000;

/** Frames an encoder may hold: past this, new ones are skipped rather than queued, so delay stays bounded. */
const MAX_ENCODE_QUEUE = 2;

/** After an encoder fails, wait this long before making another. */
const RETRY_MS = 1000;

/**
 * Encodes one local track for the media socket: each encoded chunk goes to
 * `send` as one frame (source 0: the server writes ours). The encoder stops
 * by itself when the track ends.
 */
export class TrackEncoder {
  constructor(
    readonly track: MediaStreamTrack,
    readonly kind: MediaKind,
    send: (frame: ArrayBuffer) => void
  ) {
    if (kind === 'audio') {
      const audio = new AudioLayer(send);
      this._layers = [audio];
      this._capture = captureAudio(track, data => audio.encode(data), this._ended);
    } else {
      const layers = VIDEO_LAYERS[kind].map(spec => new VideoLayer(KIND_NUMBER[kind], spec, send));
      this._layers = layers;
      this._capture = captureVideo(
        track,
        frame => {
          for (const layer of layers) {
            layer.encode(frame);
          }
          frame.close();
        },
        this._ended
      );
    }
    // 'ended' does not fire when this page stops the track itself.
    track.addEventListener('ended', this._ended);
    this._watch = window.setInterval(() => track.readyState === 'ended' && this._ended(), TRACK_WATCH_MS);
  }

  /** Whether it stopped (closed, or its track ended). */
  get isClosed(): boolean {
    return this._closed;
  }

  /** Make the next frame of `layer` a key frame (a receiver lost one, or starts watching). */
  requestKeyFrame(layer: number): void {
    for (const l of this._layers) {
      if (l.layer === layer) {
        l.requestKeyFrame();
      }
    }
  }

  /**
   * Encode only these layers (null: all), as the server says who watches
   * what (`media_layers`); a layer started again starts at a key frame.
   */
  setLayers(layers: readonly number[] | null): void {
    for (const l of this._layers) {
      l.setActive(layers === null || layers.includes(l.layer));
    }
  }

  stats(): IEncodedLayerStats[] {
    return this._layers.map(l => ({ ...l.stats }));
  }

  close(): void {
    if (this._closed) {
      return;
    }
    this._closed = true;
    this._capture.close();
    for (const layer of this._layers) {
      layer.close();
    }
    window.clearInterval(this._watch);
    this.track.removeEventListener('ended', this._ended);
  }

  private _ended = (): void => this.close();

  private _layers: ILayer[];
  private _capture: ICapture;
  private _watch: number;
  private _closed = false;
}

const TRACK_WATCH_MS = 500;

interface ILayer {
  readonly layer: number;
  readonly stats: IEncodedLayerStats;
  requestKeyFrame(): void;
  setActive(active: boolean): void;
  close(): void;
}

/** Numbers the frames of one (kind, layer) stream and sends them. */
class FrameSender {
  constructor(
    readonly kind: number,
    readonly layer: number,
    private _send: (frame: ArrayBuffer) => void
  ) {
    this.stats = { layer, frames: 0, keyFrames: 0, bytes: 0, skipped: 0, idle: 0 };
  }

  readonly stats: IEncodedLayerStats;

  send(chunk: EncodedVideoChunk | IEncodedAudioChunk): void {
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    const key = chunk.type === 'key';
    const frame = packFrame(
      {
        kind: this.kind,
        layer: this.layer,
        key,
        source: 0,
        // packFrame keeps it modulo 2**32.
        timestamp: chunk.timestamp,
        sequence: this._sequence
      },
      data
    );
    this._sequence = (this._sequence + 1) & 0xffff;
    this.stats.frames++;
    this.stats.keyFrames += key ? 1 : 0;
    this.stats.bytes += data.byteLength;
    this._send(frame);
  }

  private _sequence = 0;
}

/** One VP8 encoding of a video track, at its layer's size. */
class VideoLayer implements ILayer {
  constructor(kind: number, spec: ILayerSpec, send: (frame: ArrayBuffer) => void) {
    this._spec = spec;
    this._sender = new FrameSender(kind, spec.layer, send);
  }

  get layer(): number {
    return this._spec.layer;
  }

  get stats(): IEncodedLayerStats {
    return this._sender.stats;
  }

  requestKeyFrame(): void {
    this._keyRequested = true;
  }

  setActive(active: boolean): void {
    if (active && !this._active) {
      this._keyRequested = true;
    }
    this._active = active;
  }

  /** Encode `frame` (the caller closes it), or skip it while the encoder is behind or nobody watches. */
  encode(frame: VideoFrame): void {
    if (!this._active) {
      this._sender.stats.idle++;
      return;
    }
    const now = performance.now();
    const size = fit(frame.displayWidth, frame.displayHeight, this._spec.width, this._spec.height);
    if (!this._encoder || this._encoder.state === 'closed') {
      if (now < this._retryAt) {
        return;
      }
      this._encoder = this._create();
      this._size = null;
    }
    if (!this._size || this._size.width !== size.width || this._size.height !== size.height) {
      // The encoder scales each frame to the configured size.
      this._encoder.configure({
        codec: 'vp8',
        width: size.width,
        height: size.height,
        bitrate: this._spec.bitrate,
        latencyMode: 'realtime'
      });
      this._size = size;
      this._keyRequested = true;
    }
    if (this._encoder.encodeQueueSize > MAX_ENCODE_QUEUE) {
      this._sender.stats.skipped++;
      return;
    }
    const keyFrame = this._keyRequested || now - this._lastKeyAt >= KEY_FRAME_INTERVAL_MS;
    if (keyFrame) {
      this._keyRequested = false;
      this._lastKeyAt = now;
    }
    this._encoder.encode(frame, { keyFrame });
  }

  close(): void {
    if (this._encoder && this._encoder.state !== 'closed') {
      this._encoder.close();
    }
    this._encoder = null;
  }

  private _create(): VideoEncoder {
    const encoder = new (webCodecsGlobals().VideoEncoder!)({
      output: chunk => this._sender.send(chunk),
      error: error => {
        console.warn('classroom: video encoder failed', error);
        this._retryAt = performance.now() + RETRY_MS;
        if (this._encoder === encoder) {
          this._encoder = null;
        }
      }
    });
    return encoder;
  }

  private _spec: ILayerSpec;
  private _sender: FrameSender;
  private _encoder: VideoEncoder | null = null;
  private _size: { width: number; height: number } | null = null;
  private _keyRequested = true;
  private _active = true;
  private _lastKeyAt = -Infinity;
  private _retryAt = 0;
}

/** Opus, mono, 20 ms frames. Every Opus frame decodes alone, so every one is a key frame. */
class AudioLayer implements ILayer {
  constructor(send: (frame: ArrayBuffer) => void) {
    this._sender = new FrameSender(FRAME_KIND_AUDIO, FRAME_LAYER_SMALL, send);
  }

  readonly layer = FRAME_LAYER_SMALL;

  get stats(): IEncodedLayerStats {
    return this._sender.stats;
  }

  requestKeyFrame(): void {
    // Nothing to do: see the class's comment.
  }

  setActive(): void {
    // A voice is always sent.
  }

  /** Encode `data` (closing it), down-mixed to mono. */
  encode(data: IAudioData): void {
    const mono = downmix(data);
    data.close();
    try {
      const encoder = this._ready(mono.sampleRate);
      if (!encoder) {
        return;
      }
      if (encoder.encodeQueueSize > MAX_AUDIO_ENCODE_QUEUE) {
        this._sender.stats.skipped++;
        return;
      }
      encoder.encode(mono);
    } finally {
      mono.close();
    }
  }

  close(): void {
    if (this._encoder && this._encoder.state !== 'closed') {
      this._encoder.close();
    }
    this._encoder = null;
  }

  /** The encoder, configured for sound at `sampleRate` (the encoder takes only what it was configured for). */
  private _ready(sampleRate: number): IAudioEncoder | null {
    if (!this._encoder || this._encoder.state === 'closed') {
      if (performance.now() < this._retryAt) {
        return null;
      }
      const { AudioEncoder } = audioCodecs();
      const encoder: IAudioEncoder = new AudioEncoder({
        output: chunk => this._sender.send(chunk),
        error: error => {
          console.warn('classroom: audio encoder failed', error);
          this._retryAt = performance.now() + RETRY_MS;
          if (this._encoder === encoder) {
            this._encoder = null;
          }
        }
      });
      this._encoder = encoder;
      this._sampleRate = 0;
    }
    if (this._sampleRate !== sampleRate) {
      this._encoder.configure({
        codec: 'opus',
        sampleRate,
        numberOfChannels: 1,
        bitrate: AUDIO_BITRATE,
        opus: { frameDuration: AUDIO_FRAME_US }
      });
      this._sampleRate = sampleRate;
    }
    return this._encoder;
  }

  private _sender: FrameSender;
  private _encoder: IAudioEncoder | null = null;
  private _sampleRate = 0;
  private _retryAt = 0;
}

/** Audio is small and each piece is short: it may queue a little more than video. */
const MAX_AUDIO_ENCODE_QUEUE = 10;

/** The average of `data`'s channels, as new AudioData (the caller closes both). */
function downmix(data: IAudioData): IAudioData {
  const frames = data.numberOfFrames;
  const mono = new Float32Array(frames);
  const plane = data.numberOfChannels > 1 ? new Float32Array(frames) : mono;
  for (let c = 0; c < data.numberOfChannels; c++) {
    data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
    if (plane !== mono) {
      for (let i = 0; i < frames; i++) {
        mono[i] += plane[i] / data.numberOfChannels;
      }
    }
  }
  const { AudioData } = audioCodecs();
  return new AudioData({
    format: 'f32-planar',
    sampleRate: data.sampleRate,
    numberOfFrames: frames,
    numberOfChannels: 1,
    timestamp: data.timestamp,
    data: mono
  });
}

/** The largest even size within `maxWidth` x `maxHeight` with the aspect of `width` x `height`, never enlarged. */
export function fit(
  width: number,
  height: number,
  maxWidth: number,
  maxHeight: number
): { width: number; height: number } {
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  const even = (n: number) => Math.max(2, 2 * Math.floor(n / 2));
  return { width: even(width * scale), height: even(height * scale) };
}
