import {
  FRAME_FLAG_KEY,
  FRAME_HEADER_BYTES,
  FRAME_KIND_AUDIO,
  FRAME_KIND_CAMERA,
  FRAME_KIND_SCREEN,
  FRAME_LAYER_LARGE,
  FRAME_LAYER_SMALL,
  FRAME_MAX_PAYLOAD_BYTES,
  FRAME_SEQUENCE_MODULO,
  FRAME_TIMESTAMP_MODULO,
  FRAME_VERSION
} from '../../protocol';

/**
 * One media frame on the classroom's media socket: the 16-byte header that
 * `jupyter_classroom/protocol/frames.py` specifies, then an encoded chunk.
 */

/** What a track carries, as the encoder and decoder name it. */
export type MediaKind = 'audio' | 'camera' | 'screen';

/** The header's number for each kind of media. */
export const KIND_NUMBER: Readonly<Record<MediaKind, number>> = {
  audio: FRAME_KIND_AUDIO,
  camera: FRAME_KIND_CAMERA,
  screen: FRAME_KIND_SCREEN
};

export interface IFrameHeader {
  /** `FRAME_KIND_*`. */
  kind: number;
  /** `FRAME_LAYER_*`; audio is always the small layer. */
  layer: number;
  /** A key frame: decoding can start here. */
  key: boolean;
  /** The sender's participant number (0 from a browser: the server writes it). */
  source: number;
  /** Microseconds, modulo 2**32 (see {@link TimestampUnwrapper}). */
  timestamp: number;
  /** Per (source, kind, layer) stream, modulo 2**16 (see {@link SequenceTracker}). */
  sequence: number;
}

export interface IFrame {
  header: IFrameHeader;
  /** The chunk: a view into the frame's buffer, not a copy. */
  data: Uint8Array;
}

/** A frame that is not one; the message says what is wrong. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** The header, then `data`, in one new buffer (the socket's binary message). */
export function packFrame(header: IFrameHeader, data: Uint8Array): ArrayBuffer {
  checkFields(header.kind, header.layer, data.byteLength);
  const buffer = new ArrayBuffer(FRAME_HEADER_BYTES + data.byteLength);
  const view = new DataView(buffer);
  view.setUint8(0, FRAME_VERSION);
  view.setUint8(1, header.kind);
  view.setUint8(2, header.layer);
  view.setUint8(3, header.key ? FRAME_FLAG_KEY : 0);
  view.setUint32(4, header.source >>> 0);
  view.setUint32(8, modulo(header.timestamp, FRAME_TIMESTAMP_MODULO));
  view.setUint16(12, modulo(header.sequence, FRAME_SEQUENCE_MODULO));
  view.setUint16(14, 0);
  new Uint8Array(buffer, FRAME_HEADER_BYTES).set(data);
  return buffer;
}

/** The header and chunk of a received frame, checked as the server checks them. */
export function parseFrame(buffer: ArrayBuffer): IFrame {
  if (buffer.byteLength < FRAME_HEADER_BYTES) {
    throw new FrameError(
      `a media frame has a ${FRAME_HEADER_BYTES}-byte header; this one has ${buffer.byteLength} bytes`
    );
  }
  const view = new DataView(buffer);
  const version = view.getUint8(0);
  if (version !== FRAME_VERSION) {
    throw new FrameError(`media frame version ${version}; this client speaks ${FRAME_VERSION}`);
  }
  const kind = view.getUint8(1);
  const layer = view.getUint8(2);
  checkFields(kind, layer, buffer.byteLength - FRAME_HEADER_BYTES);
  return {
    header: {
      kind,
      layer,
      key: (view.getUint8(3) & FRAME_FLAG_KEY) !== 0,
      source: view.getUint32(4),
      timestamp: view.getUint32(8),
      sequence: view.getUint16(12)
    },
    data: new Uint8Array(buffer, FRAME_HEADER_BYTES)
  };
}

function checkFields(kind: number, layer: number, payloadBytes: number): void {
  if (kind !== FRAME_KIND_AUDIO && kind !== FRAME_KIND_CAMERA && kind !== FRAME_KIND_SCREEN) {
    throw new FrameError(`no such kind of media frame: ${kind}`);
  }
  if ((layer !== FRAME_LAYER_SMALL && layer !== FRAME_LAYER_LARGE) || (kind === FRAME_KIND_AUDIO && layer !== 0)) {
    throw new FrameError(`no layer ${layer} for media of kind ${kind}`);
  }
  if (payloadBytes > FRAME_MAX_PAYLOAD_BYTES) {
    throw new FrameError(`a media frame carries at most ${FRAME_MAX_PAYLOAD_BYTES} bytes, not ${payloadBytes}`);
  }
}

function modulo(value: number, m: number): number {
  return ((value % m) + m) % m;
}

/** `b - a` for counters modulo `m`: the nearest way round, in [-m/2, m/2). */
export function wrappedDelta(a: number, b: number, m: number): number {
  return modulo(b - a + m / 2, m) - m / 2;
}

/**
 * A header's 32-bit microsecond timestamp as an ever-growing number: it wraps
 * every 71.6 minutes, and a lesson is longer. Each timestamp is placed nearest
 * the latest seen, so frames that arrive out of order (less than 35 minutes
 * apart) land on the right side of a wrap.
 */
export class TimestampUnwrapper {
  unwrap(timestamp: number): number {
    if (this._latest === null) {
      this._latest = timestamp;
      return timestamp;
    }
    const value = this._latest + wrappedDelta(this._latest, timestamp, FRAME_TIMESTAMP_MODULO);
    this._latest = Math.max(this._latest, value);
    return value;
  }

  private _latest: number | null = null;
}

/**
 * What a stream's 16-bit sequence numbers say about loss: each frame is
 * compared with the newest seen so far.
 */
export class SequenceTracker {
  /**
   * How many frames were lost just before this one (0: none), or -1 for a
   * frame older than one already seen (late or repeated: drop it).
   */
  push(sequence: number): number {
    if (this._latest === null) {
      this._latest = sequence;
      return 0;
    }
    const delta = wrappedDelta(this._latest, sequence, FRAME_SEQUENCE_MODULO);
    if (delta <= 0) {
      return -1;
    }
    this._latest = sequence;
    return delta - 1;
  }

  /** Forget the stream: the next frame starts it again. */
  reset(): void {
    this._latest = null;
  }

  private _latest: number | null = null;
}
