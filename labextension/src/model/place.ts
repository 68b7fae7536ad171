/**
 * What a tab keeps to come back as the same person after a reload: its
 * session's resume token and where it stood.
 *
 * Kept per tab (`sessionStorage`): two tabs stay two participants. The page
 * writes it only as it goes away (`pagehide`) and the next page takes it
 * (and removes it) as it starts, so a tab duplicated meanwhile (which copies
 * the tab's storage) finds nothing and does not take this tab's participant
 * over. The server decides: within its reconnect grace the token resumes the
 * participant, past it the place is taken again as after a restart; a token
 * of another user's is never theirs.
 */

import { IRestore } from '../protocol';

/** What can store strings for one tab: `window.sessionStorage`, or a stand-in in unit tests. */
export interface ITabStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Where a page stood, and the token of its session. */
export interface IKeptPlace {
  /** The classroom's socket, without its query (a hub has several classrooms). */
  socket: string;
  resume: string;
  /** Where it stood, its status and hand (its devices start off in a new page). */
  restore: IRestore | null;
}

const KEY = 'jupyterlab-classroom:place';

/** The socket's URL without its query (which may hold a token: never stored). */
export function socketKey(url: string | null): string {
  return (url ?? '').split('?')[0];
}

/** `sessionStorage`, or null where the browser refuses it (sandboxed frames). */
function tabStorage(): ITabStorage | null {
  try {
    return typeof window !== 'undefined' ? window.sessionStorage : null;
  } catch {
    return null;
  }
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A restore read back from storage (written by us, but storage is anyone's). */
function readRestore(value: unknown): IRestore | null {
  if (!value || typeof value !== 'object') {
    return null;
  }
  const r = value as Record<string, unknown>;
  if (!isNumber(r.x) || !isNumber(r.y)) {
    return null;
  }
  const restore: IRestore = { x: r.x, y: r.y };
  if (r.status === 'available' || r.status === 'busy' || r.status === 'away') {
    restore.status = r.status;
  }
  if (typeof r.hand === 'boolean') {
    restore.hand = r.hand;
  }
  return restore;
}

/** The place a tab keeps across a reload. */
export class PlaceStore {
  constructor(private readonly _storage: ITabStorage | null = tabStorage()) {}

  /** Take what the page before this one kept (once: it is removed). */
  take(): IKeptPlace | null {
    let raw: string | null = null;
    try {
      raw = this._storage?.getItem(KEY) ?? null;
      this._storage?.removeItem(KEY);
    } catch {
      return null;
    }
    if (!raw) {
      return null;
    }
    try {
      const value = JSON.parse(raw) as Record<string, unknown>;
      if (typeof value.socket !== 'string' || typeof value.resume !== 'string' || !value.resume) {
        return null;
      }
      return { socket: value.socket, resume: value.resume, restore: readRestore(value.restore) };
    } catch {
      return null;
    }
  }

  /** Keep the place for the next page of this tab. */
  keep(place: IKeptPlace): void {
    try {
      this._storage?.setItem(KEY, JSON.stringify(place));
    } catch {
      // Storage full or refused: a reload starts at the entrance.
    }
  }
}
