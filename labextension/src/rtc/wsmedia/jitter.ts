/**
 * The audio jitter buffer, as plain logic over sample counts.
 *
 * It runs inside the playout's AudioWorklet, whose module is built from this
 * class's own source (see `playout.ts`): so the class refers to nothing
 * outside itself and has no static members, which TypeScript would emit
 * after the class body.
 */
export class JitterBuffer {
  /**
   * @param targetSamples - how much to hold before playing, and to come back to after dropping.
   * @param maxSamples - the most it holds: beyond it the oldest samples go, down to the target.
   */
  constructor(targetSamples: number, maxSamples: number) {
    this._target = Math.max(1, Math.min(targetSamples, maxSamples));
    this._data = new Float32Array(Math.max(this._target, maxSamples));
    // A standing delay is looked for over about a second (20 targets), and
    // trimmed by at most 40 % of the target at a time.
    this._window = this._target * 20;
    this._slack = Math.ceil(this._target * 0.4);
    this._lowest = Infinity;
  }

  /** Samples waiting to be played. */
  get buffered(): number {
    return this._count;
  }

  /** How often playing ran dry (each time, silence until the target is back). */
  get underruns(): number {
    return this._underruns;
  }

  /** Samples thrown away: they arrived when the buffer was full, or they made a standing delay. */
  get dropped(): number {
    return this._dropped;
  }

  /** Whether samples are being played (false while filling up to the target). */
  get playing(): boolean {
    return this._playing;
  }

  /** Append decoded samples (or zeros that stand for lost ones). */
  push(samples: Float32Array): void {
    const capacity = this._data.length;
    let source = samples;
    if (this._count + source.length > capacity) {
      // Late audio is worse than a skip: keep the newest, at the target delay.
      let drop = this._count + source.length - this._target;
      this._dropped += drop;
      const old = Math.min(drop, this._count);
      this._read = (this._read + old) % capacity;
      this._count -= old;
      drop -= old;
      source = source.subarray(drop);
    }
    let write = (this._read + this._count) % capacity;
    let offset = 0;
    while (offset < source.length) {
      const n = Math.min(source.length - offset, capacity - write);
      this._data.set(source.subarray(offset, offset + n), write);
      offset += n;
      write = (write + n) % capacity;
    }
    this._count += source.length;
  }

  /** Fill `out` with the next samples to play; silence where there are none. */
  pull(out: Float32Array): void {
    if (!this._playing) {
      if (this._count < this._target) {
        out.fill(0);
        return;
      }
      this._playing = true;
    }
    const capacity = this._data.length;
    const n = Math.min(out.length, this._count);
    let offset = 0;
    while (offset < n) {
      const m = Math.min(n - offset, capacity - this._read);
      out.set(this._data.subarray(this._read, this._read + m), offset);
      offset += m;
      this._read = (this._read + m) % capacity;
    }
    this._count -= n;
    if (n < out.length) {
      out.fill(0, n);
      this._underruns++;
      this._playing = false;
      this._lowest = Infinity;
      this._pulled = 0;
      return;
    }
    this._trim(out.length);
  }

  /**
   * A burst at the start (or a slow patch since) can leave more in the
   * buffer than the target for good: the sound is that much later than it
   * need be. When the buffer never went below target + slack for a whole
   * window, the excess goes (at most the slack at once, so a skip is short).
   */
  private _trim(pulled: number): void {
    this._lowest = Math.min(this._lowest, this._count);
    this._pulled += pulled;
    if (this._pulled < this._window) {
      return;
    }
    const excess = this._lowest - this._target;
    if (excess > this._slack) {
      const drop = Math.min(excess, this._slack);
      this._read = (this._read + drop) % this._data.length;
      this._count -= drop;
      this._dropped += drop;
    }
    this._lowest = Infinity;
    this._pulled = 0;
  }

  private _target: number;
  private _data: Float32Array;
  private _read = 0;
  private _count = 0;
  private _playing = false;
  private _underruns = 0;
  private _dropped = 0;
  private _window: number;
  private _slack: number;
  private _lowest: number;
  private _pulled = 0;
}

/**
 * Linear-interpolating sample-rate conversion of a stream given in pieces
 * (Opus decodes at 48 kHz; an AudioContext may run at 44.1 kHz). Speech
 * needs nothing better, and the position carries from piece to piece so
 * their joins do not click.
 */
export class LinearResampler {
  constructor(
    readonly fromRate: number,
    readonly toRate: number
  ) {
    this._step = fromRate / toRate;
  }

  process(input: Float32Array): Float32Array {
    if (this.fromRate === this.toRate) {
      return input;
    }
    // Positions count from the previous piece's last sample (0) to this piece's (input.length).
    const n = input.length;
    const count = Math.max(0, Math.ceil((n - this._position) / this._step));
    const out = new Float32Array(count);
    for (let k = 0; k < count; k++) {
      const p = this._position + k * this._step;
      const i = Math.floor(p);
      const a = i === 0 ? this._last : input[i - 1];
      const b = input[i];
      out[k] = a + (b - a) * (p - i);
    }
    this._position += count * this._step - n;
    if (n > 0) {
      this._last = input[n - 1];
    }
    return out;
  }

  private _step: number;
  private _position = 1;
  private _last = 0;
}
