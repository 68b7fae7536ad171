/**
 * When an open-floor call needs help. Pure: the peer manager feeds it the
 * call's state once a second and does what it says.
 */

/** A call that has not connected this long after it began is rebuilt. */
export const CONNECT_TIMEOUT_MS = 8000;

/**
 * A connection that dropped gets this long to come back by itself (ICE
 * recovers from short losses without help) before an ICE restart; if the
 * restart has not brought it back CONNECT_TIMEOUT_MS later, it is rebuilt.
 */
export const DISCONNECT_GRACE_MS = 3000;

export type CallAction = 'none' | 'restart' | 'rebuild';

/** What a call's watchdog knows about it. */
export interface ICallHealth {
  /** Whether the connection is `connected` now. */
  connected: boolean;
  /** Whether it has been `connected` at any time. */
  everConnected: boolean;
  /** When the call began, or (if it has connected before) when it last stopped being connected (ms). */
  since: number;
  /** Whether an ICE restart was made since then. */
  restarted: boolean;
}

/** What to do about a call now. */
export function callAction(health: ICallHealth, now: number): CallAction {
  if (health.connected) {
    return 'none';
  }
  const elapsed = now - health.since;
  if (!health.everConnected) {
    // A call that never connected has nothing an ICE restart could save:
    // the classic case is a negotiation that went wrong, not the network.
    return elapsed >= CONNECT_TIMEOUT_MS ? 'rebuild' : 'none';
  }
  if (elapsed >= DISCONNECT_GRACE_MS + CONNECT_TIMEOUT_MS) {
    return 'rebuild';
  }
  if (elapsed >= DISCONNECT_GRACE_MS && !health.restarted) {
    return 'restart';
  }
  return 'none';
}
