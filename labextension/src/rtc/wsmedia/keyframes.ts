import { IFrameHeader, SequenceTracker } from './frames';

/** How often to repeat a key-frame request that no key frame answered. */
export const KEY_REQUEST_INTERVAL_MS = 1000;

/**
 * Which received video frames a decoder may take. A VP8 delta frame decodes
 * only on top of every frame since the last key frame of the same layer: so
 * decoding starts at a key frame, and after a lost frame, a layer switch or
 * a decoder error it waits for the next key frame, asking the sender for one.
 */
export class KeyFrameGate {
  constructor(
    private _onKeyFrameNeeded: (layer: number) => void,
    private _requestIntervalMs = KEY_REQUEST_INTERVAL_MS
  ) {}

  /** The layer being decoded, or waited for (null before any frame). */
  get layer(): number | null {
    return this._layer;
  }

  /** Whether frames are dropped until a key frame. */
  get waiting(): boolean {
    return this._waiting;
  }

  /** How many times frames were found missing. */
  get gaps(): number {
    return this._gaps;
  }

  /** Whether to decode the frame with this header; `now` in milliseconds. */
  accept(header: Pick<IFrameHeader, 'layer' | 'sequence' | 'key'>, now: number): boolean {
    if (header.layer !== this._layer) {
      this._layer = header.layer;
      this._sequence.reset();
      // A request for the old layer says nothing about the new one.
      this._waiting = true;
      this._requestedAt = -Infinity;
    }
    const lost = this._sequence.push(header.sequence);
    if (lost < 0) {
      return false;
    }
    if (lost > 0) {
      this._gaps++;
      this._wait();
    }
    if (this._waiting) {
      if (!header.key) {
        this._request(now);
        return false;
      }
      this._waiting = false;
    }
    return true;
  }

  /** Drop frames until the next key frame (the decoder failed or fell behind), and ask for one. */
  restart(now: number): void {
    this._wait();
    if (this._layer !== null) {
      this._request(now);
    }
  }

  /** A new wait asks at once; losses during a wait do not ask more often. */
  private _wait(): void {
    if (!this._waiting) {
      this._waiting = true;
      this._requestedAt = -Infinity;
    }
  }

  private _request(now: number): void {
    if (now - this._requestedAt >= this._requestIntervalMs) {
      this._requestedAt = now;
      this._onKeyFrameNeeded(this._layer!);
    }
  }

  private _layer: number | null = null;
  private _sequence = new SequenceTracker();
  private _waiting = true;
  private _gaps = 0;
  private _requestedAt = -Infinity;
}
