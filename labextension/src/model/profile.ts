/**
 * The name and colour a person chose for themselves, kept in the browser.
 *
 * Used when the host gives no name (a token login makes everyone "Anonymous
 * <moon>"): the client states them on joining and whenever they change; the
 * server checks them (it is the authority) and tells two equal names apart.
 */

/** Characters in a name, as the server counts them (before a twin's number). */
export const MAX_NAME_LENGTH = 40;

export interface IProfile {
  /** '' when none was chosen. */
  name: string;
  /** `#rrggbb`, or '' when none was chosen. */
  color: string;
}

const KEY = 'jupyterlab-classroom:profile';

/** What can store strings: `window.localStorage`, or a stand-in in unit tests. */
export interface IStringStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** `localStorage`, or null where the browser refuses it (private modes, sandboxed frames). */
function browserStorage(): IStringStorage | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}

/** Whether a colour is written the one way the server accepts: `#rrggbb`. */
export function isColour(value: string): boolean {
  return /^#[0-9a-fA-F]{6}$/.test(value);
}

/** A name as the server will see it, trimmed and with runs of whitespace made one space. */
export function tidyName(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/** The chosen name and colour, kept across visits. */
export class ProfileStore {
  constructor(private readonly _storage: IStringStorage | null = browserStorage()) {}

  get(): IProfile {
    if (this._memory) {
      return { ...this._memory };
    }
    let raw: string | null = null;
    try {
      raw = this._storage?.getItem(KEY) ?? null;
    } catch {
      raw = null;
    }
    if (raw) {
      try {
        const value = JSON.parse(raw) as Partial<IProfile>;
        return {
          name: typeof value.name === 'string' ? value.name.slice(0, 4 * MAX_NAME_LENGTH) : '',
          color: typeof value.color === 'string' && isColour(value.color) ? value.color.toLowerCase() : ''
        };
      } catch {
        // Written by something else: start afresh.
      }
    }
    return { name: '', color: '' };
  }

  set(profile: IProfile): void {
    this._memory = { name: profile.name, color: profile.color };
    try {
      this._storage?.setItem(KEY, JSON.stringify({ name: profile.name, color: profile.color }));
    } catch {
      // Storage full or refused: the choice lasts until the page is closed.
    }
  }

  private _memory: IProfile | null = null;
}
