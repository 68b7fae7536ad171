import { IAudioData, audioCodecs, webCodecsGlobals } from './types';
import { loadWorkletModule } from './worklet';

/**
 * Raw frames out of a local track, for the encoder: Chromium hands them over
 * with MediaStreamTrackProcessor; other browsers through a <video> element
 * (video) or an AudioWorklet (audio). Whoever receives a frame closes it.
 */
export interface ICapture {
  close(): void;
}

/** `onFrame` gets every frame of a video track; `onEnded` is called if the track's frames end. */
export function captureVideo(
  track: MediaStreamTrack,
  onFrame: (frame: VideoFrame) => void,
  onEnded: () => void
): ICapture {
  if (webCodecsGlobals().MediaStreamTrackProcessor) {
    return new ProcessorCapture<VideoFrame>(track, onFrame, onEnded);
  }
  return new ElementVideoCapture(track, onFrame);
}

/** `onData` gets every piece of a microphone track's sound; `onEnded` is called if it ends. */
export function captureAudio(
  track: MediaStreamTrack,
  onData: (data: IAudioData) => void,
  onEnded: () => void
): ICapture {
  if (webCodecsGlobals().MediaStreamTrackProcessor) {
    return new ProcessorCapture<IAudioData>(track, onData, onEnded);
  }
  return new WorkletAudioCapture(track, onData);
}

class ProcessorCapture<T extends VideoFrame | IAudioData> implements ICapture {
  constructor(track: MediaStreamTrack, onChunk: (chunk: T) => void, onEnded: () => void) {
    const processor = new (webCodecsGlobals().MediaStreamTrackProcessor!)({ track });
    this._reader = processor.readable.getReader() as ReadableStreamDefaultReader<T>;
    void this._pump(onChunk, onEnded);
  }

  close(): void {
    if (!this._closed) {
      this._closed = true;
      void this._reader.cancel().catch(() => undefined);
    }
  }

  private async _pump(onChunk: (chunk: T) => void, onEnded: () => void): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await this._reader.read();
        if (done) {
          break;
        }
        if (this._closed) {
          value.close();
          break;
        }
        onChunk(value);
      }
    } catch (error) {
      if (!this._closed) {
        console.warn('classroom: reading a track for the media socket failed', error);
      }
    }
    if (!this._closed) {
      onEnded();
    }
  }

  private _reader: ReadableStreamDefaultReader<T>;
  private _closed = false;
}

/** A frame each time a hidden <video> playing the track shows one. */
class ElementVideoCapture implements ICapture {
  constructor(track: MediaStreamTrack, onFrame: (frame: VideoFrame) => void) {
    this._onFrame = onFrame;
    this._video.muted = true;
    this._video.playsInline = true;
    this._video.srcObject = new MediaStream([track]);
    void this._video.play().catch(() => undefined);
    if ('requestVideoFrameCallback' in this._video) {
      this._callback = this._video.requestVideoFrameCallback(this._shown);
    } else {
      const rate = track.getSettings().frameRate || FALLBACK_FRAME_RATE;
      this._timer = window.setInterval(this._grab, 1000 / rate);
    }
  }

  close(): void {
    if (this._closed) {
      return;
    }
    this._closed = true;
    this._video.cancelVideoFrameCallback?.(this._callback);
    window.clearInterval(this._timer);
    this._video.srcObject = null;
  }

  private _shown = (): void => {
    if (!this._closed) {
      this._grab();
      this._callback = this._video.requestVideoFrameCallback(this._shown);
    }
  };

  private _grab = (): void => {
    if (this._closed || this._video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || !this._video.videoWidth) {
      return;
    }
    const VideoFrameClass = webCodecsGlobals().VideoFrame!;
    this._onFrame(new VideoFrameClass(this._video, { timestamp: Math.round(performance.now() * 1000) }));
  };

  private _onFrame: (frame: VideoFrame) => void;
  private _video = document.createElement('video');
  private _callback = 0;
  private _timer = 0;
  private _closed = false;
}

const FALLBACK_FRAME_RATE = 30;

/** How much sound the capture worklet gathers before posting it (20 ms: one Opus frame). */
const CAPTURE_PIECE_MS = 20;

const CAPTURE_PROCESSOR = 'classroom-wsmedia-capture';

/** Down-mixes to mono and posts pieces of `frames` samples. */
const CAPTURE_SOURCE = `
registerProcessor('${CAPTURE_PROCESSOR}', class extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.size = options.processorOptions.frames;
    this.piece = new Float32Array(this.size);
    this.filled = 0;
    this.open = true;
    this.port.onmessage = () => { this.open = false; };
  }
  process(inputs) {
    const channels = inputs[0];
    if (channels.length > 0) {
      for (let i = 0; i < channels[0].length; i++) {
        let sum = 0;
        for (const channel of channels) {
          sum += channel[i];
        }
        this.piece[this.filled++] = sum / channels.length;
        if (this.filled === this.size) {
          this.port.postMessage(this.piece, [this.piece.buffer]);
          this.piece = new Float32Array(this.size);
          this.filled = 0;
        }
      }
    }
    return this.open;
  }
});
`;

/** Sound through an AudioWorklet of a context of its own, made into AudioData. */
class WorkletAudioCapture implements ICapture {
  constructor(track: MediaStreamTrack, onData: (data: IAudioData) => void) {
    this._source = this._context.createMediaStreamSource(new MediaStream([track]));
    void this._start(onData).catch(error => {
      if (!this._closed) {
        console.warn('classroom: capturing the microphone for the media socket failed', error);
      }
    });
  }

  close(): void {
    if (this._closed) {
      return;
    }
    this._closed = true;
    this._node?.port.postMessage('close');
    this._node?.disconnect();
    this._source.disconnect();
    void this._context.close().catch(() => undefined);
  }

  private async _start(onData: (data: IAudioData) => void): Promise<void> {
    await loadWorkletModule(this._context, CAPTURE_SOURCE);
    if (this._closed) {
      return;
    }
    const rate = this._context.sampleRate;
    const node = new AudioWorkletNode(this._context, CAPTURE_PROCESSOR, {
      numberOfOutputs: 0,
      processorOptions: { frames: Math.round((rate * CAPTURE_PIECE_MS) / 1000) }
    });
    const { AudioData } = audioCodecs();
    let start = -1;
    let samples = 0;
    node.port.onmessage = ({ data }: MessageEvent<Float32Array>) => {
      if (start < 0) {
        start = Math.round(performance.now() * 1000);
      }
      const timestamp = start + Math.round((samples * 1e6) / rate);
      samples += data.length;
      onData(
        new AudioData({
          format: 'f32-planar',
          sampleRate: rate,
          numberOfFrames: data.length,
          numberOfChannels: 1,
          timestamp,
          data
        })
      );
    };
    this._source.connect(node);
    this._node = node;
    // A context made without a user gesture starts suspended; a microphone permission counts as one.
    await this._context.resume();
  }

  private _context = new AudioContext();
  private _source: MediaStreamAudioSourceNode;
  private _node: AudioWorkletNode | null = null;
  private _closed = false;
}
