/**
 * The few browser interfaces this transport uses that TypeScript's DOM
 * library does not declare yet: WebCodecs' audio half, and Chromium's
 * MediaStreamTrackProcessor and MediaStreamTrackGenerator. They are read from
 * {@link webCodecsGlobals} rather than declared global, so a later DOM library
 * that declares them cannot clash.
 */

export interface IAudioData {
  readonly format: string | null;
  readonly sampleRate: number;
  readonly numberOfFrames: number;
  readonly numberOfChannels: number;
  /** Microseconds. */
  readonly timestamp: number;
  copyTo(destination: Float32Array, options: { planeIndex: number; format?: 'f32-planar' }): void;
  close(): void;
}

export interface IAudioDataInit {
  format: 'f32-planar';
  sampleRate: number;
  numberOfFrames: number;
  numberOfChannels: number;
  timestamp: number;
  data: Float32Array;
}

export interface IEncodedAudioChunk {
  readonly type: 'key' | 'delta';
  readonly timestamp: number;
  readonly byteLength: number;
  copyTo(destination: Uint8Array): void;
}

export interface IEncodedAudioChunkInit {
  type: 'key' | 'delta';
  timestamp: number;
  data: Uint8Array;
}

export interface IAudioEncoderConfig {
  codec: string;
  sampleRate: number;
  numberOfChannels: number;
  bitrate?: number;
  opus?: { frameDuration?: number; complexity?: number; usedtx?: boolean; useinbandfec?: boolean };
}

export interface IAudioDecoderConfig {
  codec: string;
  sampleRate: number;
  numberOfChannels: number;
}

interface ICodec {
  readonly state: 'unconfigured' | 'configured' | 'closed';
  close(): void;
}

export interface IAudioEncoder extends ICodec {
  readonly encodeQueueSize: number;
  configure(config: IAudioEncoderConfig): void;
  encode(data: IAudioData): void;
}

export interface IAudioDecoder extends ICodec {
  readonly decodeQueueSize: number;
  configure(config: IAudioDecoderConfig): void;
  decode(chunk: IEncodedAudioChunk): void;
}

export interface IMediaStreamTrackProcessor<T> {
  readonly readable: ReadableStream<T>;
}

export interface IMediaStreamTrackGenerator extends MediaStreamTrack {
  readonly writable: WritableStream<VideoFrame>;
}

/** The constructors, each missing where the browser lacks it. */
export interface IWebCodecsGlobals {
  AudioData?: new (init: IAudioDataInit) => IAudioData;
  EncodedAudioChunk?: new (init: IEncodedAudioChunkInit) => IEncodedAudioChunk;
  AudioEncoder?: new (init: {
    output: (chunk: IEncodedAudioChunk) => void;
    error: (error: DOMException) => void;
  }) => IAudioEncoder;
  AudioDecoder?: new (init: {
    output: (data: IAudioData) => void;
    error: (error: DOMException) => void;
  }) => IAudioDecoder;
  VideoEncoder?: typeof VideoEncoder;
  VideoDecoder?: typeof VideoDecoder;
  VideoFrame?: typeof VideoFrame;
  EncodedVideoChunk?: typeof EncodedVideoChunk;
  MediaStreamTrackProcessor?: new (init: {
    track: MediaStreamTrack;
    maxBufferSize?: number;
  }) => IMediaStreamTrackProcessor<VideoFrame | IAudioData>;
  MediaStreamTrackGenerator?: new (init: { kind: 'video' | 'audio' }) => IMediaStreamTrackGenerator;
}

export function webCodecsGlobals(): IWebCodecsGlobals {
  return globalThis as unknown as IWebCodecsGlobals;
}

/** The globals that {@link webCodecsGlobals} says may be missing, here present. */
export type IWebCodecs = Required<
  Pick<IWebCodecsGlobals, 'AudioData' | 'EncodedAudioChunk' | 'AudioEncoder' | 'AudioDecoder'>
>;

/** The audio half of WebCodecs; it throws where the browser lacks it (check `webCodecsSupported()` first). */
export function audioCodecs(): IWebCodecs {
  const g = webCodecsGlobals();
  if (!g.AudioData || !g.EncodedAudioChunk || !g.AudioEncoder || !g.AudioDecoder) {
    throw new Error('this browser has no WebCodecs audio');
  }
  return {
    AudioData: g.AudioData,
    EncodedAudioChunk: g.EncodedAudioChunk,
    AudioEncoder: g.AudioEncoder,
    AudioDecoder: g.AudioDecoder
  };
}
