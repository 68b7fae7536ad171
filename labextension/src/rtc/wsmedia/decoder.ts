import { AUDIO_FRAME_US } from './encoder';
import { IFrameHeader, KIND_NUMBER, MediaKind, SequenceTracker, TimestampUnwrapper } from './frames';
import { KeyFrameGate } from './keyframes';
import { AudioPlayout, IVideoOutput, createVideoOutput } from './playout';
import { IAudioData, IAudioDecoder, audioCodecs, webCodecsGlobals } from './types';

/** What a source's decoder has received and played. */
export interface IDecoderStats {
  framesDecoded: number;
  /** Bytes of encoded chunks received. */
  bytes: number;
  keyFrames: number;
  /** How many times frames were found missing. */
  gaps: number;
  /** Sound waiting to play (0 for video). */
  audioBufferedMs: number;
  /** How often the sound ran dry. */
  underruns: number;
  /** Sound thrown away to stay within the most delay allowed. */
  droppedMs: number;
  /** When the last frame was decoded (`Date.now()`), null before the first. */
  lastFrameAt: number | null;
}

/** A lost run of audio frames up to this long is replaced by silence; a longer one is not (the buffer starts again). */
const MAX_CONCEALED_FRAMES = 5;

/** Chunks a video decoder may hold before it has fallen behind: then it starts again at a key frame. */
const MAX_DECODE_QUEUE = 8;

/**
 * Decodes one remote participant's audio, camera or screen from media-socket
 * frames, and plays it as a `stream` of one track that the app shows or mixes
 * like a WebRTC remote stream. `onKeyFrameNeeded` is asked for a video layer's
 * key frame whenever decoding must restart.
 */
export class SourceDecoder {
  constructor(
    readonly kind: MediaKind,
    audioContext: AudioContext,
    onKeyFrameNeeded: (layer: number) => void
  ) {
    if (kind === 'audio') {
      this._audio = new AudioPath(audioContext, this._stats);
      this.stream = this._audio.stream;
    } else {
      this._video = new VideoPath(onKeyFrameNeeded, this._stats);
      this.stream = new MediaStream([this._video.track]);
    }
  }

  readonly stream: MediaStream;

  /** Take a received frame of this decoder's kind (the caller parsed it with `parseFrame`). */
  push(header: IFrameHeader, data: Uint8Array): void {
    if (this._closed) {
      return;
    }
    if (header.kind !== KIND_NUMBER[this.kind]) {
      throw new Error(`a ${this.kind} decoder was given a frame of kind ${header.kind}`);
    }
    this._stats.bytes += data.byteLength;
    this._stats.keyFrames += header.key ? 1 : 0;
    if (this._audio) {
      this._audio.push(header, data);
    } else {
      this._video!.push(header, data);
    }
  }

  stats(): IDecoderStats {
    const playout = this._audio?.stats();
    return {
      ...this._stats,
      gaps: this._video ? this._video.gaps : this._stats.gaps,
      audioBufferedMs: playout?.bufferedMs ?? 0,
      underruns: playout?.underruns ?? 0,
      droppedMs: playout?.droppedMs ?? 0
    };
  }

  close(): void {
    if (!this._closed) {
      this._closed = true;
      this._audio?.close();
      this._video?.close();
    }
  }

  private _stats: IDecoderStats = {
    framesDecoded: 0,
    bytes: 0,
    keyFrames: 0,
    gaps: 0,
    audioBufferedMs: 0,
    underruns: 0,
    droppedMs: 0,
    lastFrameAt: null
  };
  private _audio: AudioPath | null = null;
  private _video: VideoPath | null = null;
  private _closed = false;
}

/** Opus frames → AudioDecoder → playout. */
class AudioPath {
  constructor(
    context: AudioContext,
    private _stats: IDecoderStats
  ) {
    this._playout = new AudioPlayout(context);
  }

  get stream(): MediaStream {
    return this._playout.stream;
  }

  push(header: IFrameHeader, data: Uint8Array): void {
    const lost = this._sequence.push(header.sequence);
    if (lost < 0) {
      // Too late to play in order.
      return;
    }
    const timestamp = this._timestamps.unwrap(header.timestamp);
    if (lost > 0) {
      this._stats.gaps++;
      if (lost <= MAX_CONCEALED_FRAMES) {
        this._playout.conceal((lost * AUDIO_FRAME_US) / 1000);
      }
    }
    const decoder = this._ready();
    if (decoder) {
      const { EncodedAudioChunk } = audioCodecs();
      decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp, data }));
    }
  }

  stats() {
    return this._playout.stats();
  }

  close(): void {
    if (this._decoder && this._decoder.state !== 'closed') {
      this._decoder.close();
    }
    this._decoder = null;
    this._playout.close();
  }

  private _ready(): IAudioDecoder | null {
    if (!this._decoder || this._decoder.state === 'closed') {
      const { AudioDecoder } = audioCodecs();
      const decoder: IAudioDecoder = new AudioDecoder({
        output: this._output,
        error: error => {
          console.warn('classroom: audio decoder failed', error);
          if (this._decoder === decoder) {
            this._decoder = null;
          }
        }
      });
      // Every Opus frame decodes alone: a new decoder can start at any frame.
      decoder.configure({ codec: 'opus', sampleRate: OPUS_RATE, numberOfChannels: 1 });
      this._decoder = decoder;
    }
    return this._decoder;
  }

  private _output = (data: IAudioData): void => {
    const samples = new Float32Array(data.numberOfFrames);
    data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
    const rate = data.sampleRate;
    data.close();
    this._stats.framesDecoded++;
    this._stats.lastFrameAt = Date.now();
    this._playout.push(samples, rate);
  };

  private _playout: AudioPlayout;
  private _decoder: IAudioDecoder | null = null;
  private _sequence = new SequenceTracker();
  private _timestamps = new TimestampUnwrapper();
}

const OPUS_RATE = 48000;

/** VP8 frames → (key-frame gate) → VideoDecoder → video track. */
class VideoPath {
  constructor(
    onKeyFrameNeeded: (layer: number) => void,
    private _stats: IDecoderStats
  ) {
    this._gate = new KeyFrameGate(onKeyFrameNeeded);
    this._output = createVideoOutput();
  }

  get track(): MediaStreamTrack {
    return this._output.track;
  }

  get gaps(): number {
    return this._gate.gaps;
  }

  push(header: IFrameHeader, data: Uint8Array): void {
    const now = performance.now();
    const timestamp = this._timestamps.unwrap(header.timestamp);
    if (this._decoder && this._decoder.decodeQueueSize > MAX_DECODE_QUEUE) {
      this._gate.restart(now);
    }
    if (!this._gate.accept(header, now)) {
      return;
    }
    if (!this._decoder || this._decoder.state === 'closed') {
      this._decoder = this._create();
    }
    const EncodedVideoChunkClass = webCodecsGlobals().EncodedVideoChunk!;
    this._decoder.decode(new EncodedVideoChunkClass({ type: header.key ? 'key' : 'delta', timestamp, data }));
  }

  close(): void {
    if (this._decoder && this._decoder.state !== 'closed') {
      this._decoder.close();
    }
    this._decoder = null;
    this._output.close();
  }

  private _create(): VideoDecoder {
    const decoder = new (webCodecsGlobals().VideoDecoder!)({
      output: frame => {
        this._stats.framesDecoded++;
        this._stats.lastFrameAt = Date.now();
        this._output.write(frame);
      },
      error: error => {
        console.warn('classroom: video decoder failed', error);
        if (this._decoder === decoder) {
          this._decoder = null;
          this._gate.restart(performance.now());
        }
      }
    });
    decoder.configure({ codec: 'vp8', optimizeForLatency: true });
    return decoder;
  }

  private _gate: KeyFrameGate;
  private _output: IVideoOutput;
  private _decoder: VideoDecoder | null = null;
  private _timestamps = new TimestampUnwrapper();
}
