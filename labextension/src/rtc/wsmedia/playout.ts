import { JitterBuffer, LinearResampler } from './jitter';
import { webCodecsGlobals } from './types';
import { loadWorkletModule } from './worklet';

/** How much sound to hold before playing: enough for a late 20 ms frame or two. */
export const AUDIO_TARGET_MS = 50;
/** The most sound held: beyond it the oldest goes, so a voice is never further behind. */
export const AUDIO_MAX_MS = 150;

/** What the playout reports, in milliseconds and counts. */
export interface IPlayoutStats {
  bufferedMs: number;
  underruns: number;
  droppedMs: number;
}

const PLAYOUT_PROCESSOR = 'classroom-wsmedia-playout';
/** How often (in 128-sample render quanta, about 85 ms) the worklet reports its buffer. */
const STATS_EVERY_QUANTA = 32;

/** The playout worklet: a {@link JitterBuffer} (its own source) behind a mono output. */
const PLAYOUT_SOURCE = `
const JitterBuffer = (${JitterBuffer.toString()});
registerProcessor('${PLAYOUT_PROCESSOR}', class extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { targetSamples, maxSamples } = options.processorOptions;
    this.buffer = new JitterBuffer(targetSamples, maxSamples);
    this.quanta = 0;
    this.open = true;
    this.port.onmessage = ({ data }) => {
      if (data === 'close') {
        this.open = false;
      } else {
        this.buffer.push(data);
      }
    };
  }
  process(inputs, outputs) {
    this.buffer.pull(outputs[0][0]);
    if (++this.quanta % ${STATS_EVERY_QUANTA} === 0) {
      const b = this.buffer;
      this.port.postMessage({ buffered: b.buffered, underruns: b.underruns, dropped: b.dropped });
    }
    return this.open;
  }
});
`;

/**
 * Decoded sound, played through a jitter buffer in an AudioWorklet into a
 * MediaStreamAudioDestinationNode of the given context: its `stream` is one
 * audio track, which the mixer plays like a WebRTC voice. The worklet runs
 * on the audio thread, so the buffer drains at exactly the context's rate
 * and a main thread busy with the notebook does not make it stutter.
 */
export class AudioPlayout {
  constructor(readonly context: AudioContext) {
    this._destination = context.createMediaStreamDestination();
    this._destination.channelCount = 1;
    this._maxSamples = Math.round((context.sampleRate * AUDIO_MAX_MS) / 1000);
    void this._start().catch(error => {
      if (!this._closed) {
        console.warn('classroom: audio playout for the media socket failed', error);
      }
    });
  }

  get stream(): MediaStream {
    return this._destination.stream;
  }

  /** Queue decoded mono samples at `sampleRate` to play. */
  push(samples: Float32Array, sampleRate: number): void {
    if (this._closed) {
      return;
    }
    if (this._resampler?.fromRate !== sampleRate) {
      this._resampler = new LinearResampler(sampleRate, this.context.sampleRate);
    }
    this._post(this._resampler.process(samples));
  }

  /** Stand in for `ms` of lost sound with silence, so what follows keeps its place. */
  conceal(ms: number): void {
    if (!this._closed) {
      this._post(new Float32Array(Math.round((this.context.sampleRate * ms) / 1000)));
    }
  }

  stats(): IPlayoutStats {
    const perMs = this.context.sampleRate / 1000;
    return {
      bufferedMs: this._reported.buffered / perMs,
      underruns: this._reported.underruns,
      droppedMs: (this._reported.dropped + this._droppedBeforeStart) / perMs
    };
  }

  close(): void {
    if (this._closed) {
      return;
    }
    this._closed = true;
    this._pending = [];
    if (this._node) {
      this._node.port.postMessage('close');
      this._node.port.onmessage = null;
      this._node.disconnect();
    }
    for (const track of this._destination.stream.getTracks()) {
      track.stop();
    }
  }

  private _post(samples: Float32Array): void {
    if (this._node) {
      this._node.port.postMessage(samples, [samples.buffer]);
      return;
    }
    // Until the worklet has loaded (a few milliseconds), hold the newest sound, as the buffer would.
    this._pending.push(samples);
    this._pendingSamples += samples.length;
    while (this._pendingSamples > this._maxSamples && this._pending.length > 1) {
      const oldest = this._pending.shift()!;
      this._pendingSamples -= oldest.length;
      this._droppedBeforeStart += oldest.length;
    }
  }

  private async _start(): Promise<void> {
    await loadWorkletModule(this.context, PLAYOUT_SOURCE);
    if (this._closed) {
      return;
    }
    const node = new AudioWorkletNode(this.context, PLAYOUT_PROCESSOR, {
      numberOfInputs: 0,
      outputChannelCount: [1],
      processorOptions: {
        targetSamples: Math.round((this.context.sampleRate * AUDIO_TARGET_MS) / 1000),
        maxSamples: this._maxSamples
      }
    });
    node.port.onmessage = ({ data }: MessageEvent<IWorkletReport>) => {
      this._reported = data;
    };
    node.connect(this._destination);
    this._node = node;
    for (const samples of this._pending) {
      this._post(samples);
    }
    this._pending = [];
    this._pendingSamples = 0;
  }

  private _destination: MediaStreamAudioDestinationNode;
  private _maxSamples: number;
  private _node: AudioWorkletNode | null = null;
  private _resampler: LinearResampler | null = null;
  private _pending: Float32Array[] = [];
  private _pendingSamples = 0;
  private _droppedBeforeStart = 0;
  private _reported: IWorkletReport = { buffered: 0, underruns: 0, dropped: 0 };
  private _closed = false;
}

interface IWorkletReport {
  buffered: number;
  underruns: number;
  dropped: number;
}

/** Where decoded video frames go: a video track the app shows in a tile. */
export interface IVideoOutput {
  readonly track: MediaStreamTrack;
  /** Show `frame` (this closes it). */
  write(frame: VideoFrame): void;
  close(): void;
}

/** Chromium's MediaStreamTrackGenerator where there is one, else a canvas and its captured stream. */
export function createVideoOutput(): IVideoOutput {
  return webCodecsGlobals().MediaStreamTrackGenerator ? new GeneratorOutput() : new CanvasOutput();
}

/** Frames written straight into a track: no copy, no drawing. */
class GeneratorOutput implements IVideoOutput {
  constructor() {
    const generator = new (webCodecsGlobals().MediaStreamTrackGenerator!)({ kind: 'video' });
    this.track = generator;
    this._writer = generator.writable.getWriter();
  }

  readonly track: MediaStreamTrack;

  write(frame: VideoFrame): void {
    // A frame the track cannot take now is dropped, not queued: a newer one follows.
    if (this._closed || (this._writer.desiredSize ?? 0) <= 0) {
      frame.close();
      return;
    }
    void this._writer
      .write(frame)
      .catch(() => undefined)
      .then(() => frame.close());
  }

  close(): void {
    if (!this._closed) {
      this._closed = true;
      void this._writer.close().catch(() => undefined);
      this.track.stop();
    }
  }

  private _writer: WritableStreamDefaultWriter<VideoFrame>;
  private _closed = false;
}

/** Frames drawn on a canvas whose captured stream carries them. */
class CanvasOutput implements IVideoOutput {
  constructor() {
    this._context = this._canvas.getContext('2d')!;
    this.track = this._canvas.captureStream().getVideoTracks()[0];
  }

  readonly track: MediaStreamTrack;

  write(frame: VideoFrame): void {
    if (!this._closed) {
      if (this._canvas.width !== frame.displayWidth || this._canvas.height !== frame.displayHeight) {
        this._canvas.width = frame.displayWidth;
        this._canvas.height = frame.displayHeight;
      }
      this._context.drawImage(frame, 0, 0, frame.displayWidth, frame.displayHeight);
    }
    frame.close();
  }

  close(): void {
    if (!this._closed) {
      this._closed = true;
      this.track.stop();
    }
  }

  private _canvas = document.createElement('canvas');
  private _context: CanvasRenderingContext2D;
  private _closed = false;
}
