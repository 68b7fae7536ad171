import { Transport } from '../../protocol';

/**
 * The media socket beside a classroom socket: the same path family with
 * `media` in place of `ws` (`classroom/media` on this server,
 * `classrooms/<name>/media` on a hub service), the same query (the token a
 * hub needs), and the session's ticket.
 */
export function mediaSocketUrl(signalingUrl: string, ticket: string): string {
  const url = new URL(signalingUrl);
  url.pathname = url.pathname.replace(/\/ws$/, '/media');
  url.searchParams.set('ticket', ticket);
  return url.href;
}

/** Whether a pair's media goes through the server: when either of the two sends it that way. */
export function relayedPair(mine: Transport, theirs: Transport | undefined): boolean {
  return mine === 'websocket' || theirs === 'websocket';
}

/**
 * After this long checking ICE candidates without a connection, a call is
 * taken for one that UDP cannot carry. (A negotiation that never began
 * checking, like a lost offer, is the call watchdog's business, not this.)
 */
export const FALLBACK_MS = 5000;

/** What the automatic choice of transport knows of one connection. */
export interface IIceProgress {
  /** When ICE began checking without success since (ms), null when not checking. */
  checkingSince: number | null;
  /** Whether ICE has failed outright. */
  failed: boolean;
  /** Whether it is connected now. */
  connected: boolean;
}

/** Whether a connection shows that UDP does not pass here. */
export function udpBlocked(progress: IIceProgress, now: number): boolean {
  if (progress.connected) {
    return false;
  }
  return progress.failed || (progress.checkingSince !== null && now - progress.checkingSince >= FALLBACK_MS);
}
