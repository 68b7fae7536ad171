/**
 * When to try the classroom's socket again after it dropped, and when to stop
 * trying and say that the server is not answering. Pure (the clock and the
 * randomness are given), so the rule is tested in node.
 */

import { retryDelay } from './geometry';

export interface IReconnectLimits {
  /** Tries with backoff (the server vanished without a word). */
  tries: number;
  /** Tries about a second apart after the server said it was restarting. */
  restartTries: number;
  /** Milliseconds from the first failure after which no new try is scheduled. */
  ms: number;
}

/**
 * With backoff, 8 tries take about 45 s (0.5, 1, 2, 4, 8, then 10 s each);
 * a restart announced by the server gets a try about each second. Either
 * way no new try starts 45 s after the first failure (Chromium itself spaces
 * out sockets to a host that refuses them, to about one in 5 s). A server
 * back within that is rejoined without anyone noticing; one that is not is
 * reported, with a Retry, rather than tried forever.
 */
export const RECONNECT_LIMITS: IReconnectLimits = { tries: 8, restartTries: 45, ms: 45_000 };

export type ReconnectStep =
  /** Try again in `delay` ms; `attempt` counts from 1. */
  | { kind: 'retry'; delay: number; attempt: number }
  /** The budget is spent: say so and wait for the person (or `retry()`). */
  | { kind: 'give-up'; attempts: number };

export class ReconnectSchedule {
  constructor(
    readonly limits: IReconnectLimits = RECONNECT_LIMITS,
    private readonly _random: () => number = Math.random
  ) {}

  /** Tries made since the last success (or the last `retry()`). */
  get attempts(): number {
    return this._attempts;
  }

  /** Whether the budget is spent and nothing more is scheduled. */
  get gaveUp(): boolean {
    return this._gaveUp;
  }

  /**
   * A try failed or an open socket dropped, at `now` (ms). `restarting`: the
   * server said it was shutting down, so it is likely coming back soon.
   */
  failed(now: number, restarting: boolean): ReconnectStep {
    if (this._gaveUp) {
      return { kind: 'give-up', attempts: this._attempts };
    }
    if (this._since === null) {
      this._since = now;
    }
    const budget = restarting ? this.limits.restartTries : this.limits.tries;
    if (this._attempts >= budget || now - this._since >= this.limits.ms) {
      this._gaveUp = true;
      return { kind: 'give-up', attempts: this._attempts };
    }
    const delay = retryDelay(this._attempts, restarting, this._random);
    this._attempts += 1;
    return { kind: 'retry', delay, attempt: this._attempts };
  }

  /** The socket opened: a later drop starts with a full budget. */
  succeeded(): void {
    this._attempts = 0;
    this._since = null;
    this._gaveUp = false;
  }

  /** The person asked to try again: a fresh budget, starting with the next failure. */
  retry(): void {
    this.succeeded();
  }

  private _attempts = 0;
  private _since: number | null = null;
  private _gaveUp = false;
}
