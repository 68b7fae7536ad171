import { Transport, TransportMode } from '../../protocol';

/**
 * How often a page whose media goes through the server because UDP did not
 * pass asks whether it passes now (ms). The server grants one probe a
 * minute: a little more than that, so none is refused.
 */
export const PROBE_INTERVAL_MS = 65_000;

/** A probe that has not ended by then is given up (ms; the server closes its end after 15 s). */
export const PROBE_TIMEOUT_MS = 20_000;

/** What decides whether to ask for a UDP probe now. */
export interface IProbeSituation {
  /** How this page chooses its transport. */
  mode: TransportMode;
  /** How our media travels now. */
  transport: Transport;
  /** Why (`udp_blocked`: the automatic choice found that UDP does not pass). */
  reason: string | null;
  /** Whether a probe is under way. */
  running: boolean;
  /** When we last asked for a probe, or fell back to the socket if that came later (ms); null: neither. */
  since: number | null;
}

/**
 * Whether to ask the server for a UDP probe now: only in `auto`, only while
 * our media goes through the server because UDP did not pass (in a room
 * or not: the server offers no WebRTC connection to whoever uses the
 * socket), not while a probe runs, and `interval` after the last one (or
 * the fallback).
 */
export function probeDue(situation: IProbeSituation, now: number, interval: number = PROBE_INTERVAL_MS): boolean {
  const { mode, transport, reason, running, since } = situation;
  if (mode !== 'auto' || transport !== 'websocket' || reason !== 'udp_blocked' || running) {
    return false;
  }
  return since === null || now - since >= interval;
}
