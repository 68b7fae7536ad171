import type { IEndpoint } from '../model/endpoint';
import type { IHubClassroom } from '../protocol';
import type { IPageConfig } from './config';

/** Where the guest's pass is kept for this tab, so that a reload keeps working. */
export const PASS_KEY = 'jupyterlab-classroom:guest-pass';

/** What takePass needs of the page: its address, its history and this tab's storage. */
export interface IPassPlace {
  readonly location: { readonly hash: string; readonly pathname: string; readonly search: string };
  readonly history: { replaceState(data: unknown, unused: string, url: string): void };
  readonly storage: { getItem(key: string): string | null; setItem(key: string, value: string): void } | null;
}

/**
 * The guest pass of this page, or null (a signed-in person). An invitation
 * link brings it in the fragment (`#pass=…`, never sent to a server or kept
 * in a Referer): it is taken out of the address bar at once (so it is not
 * bookmarked, shared by screen or left in the history) and kept in the
 * tab's session storage for a reload.
 */
export function takePass({ location, history, storage }: IPassPlace): string | null {
  const hash = location.hash.startsWith('#') ? location.hash.slice(1) : location.hash;
  const fromHash = new URLSearchParams(hash).get('pass');
  if (fromHash) {
    history.replaceState(null, '', location.pathname + location.search);
    try {
      storage?.setItem(PASS_KEY, fromHash);
    } catch {
      // No storage (a private window's quota): the pass lasts until a reload.
    }
    return fromHash;
  }
  try {
    return storage?.getItem(PASS_KEY) || null;
  } catch {
    return null;
  }
}

/** The guest's routes: the classroom's socket and map, with the pass. */
export function guestSocketUrl(config: IPageConfig, pass: string): string {
  const url = new URL('classroom/guest/ws', config.wsUrl);
  url.searchParams.set('pass', pass);
  return url.href;
}

/** A file of the map (`[]`: the map; `['files', …]`: an image it names), with the pass. */
export function guestMapUrl(config: IPageConfig, pass: string, path: readonly string[]): string {
  const url = new URL(['classroom/guest/map', ...path.map(encodeURIComponent)].join('/'), config.baseUrl);
  url.searchParams.set('pass', pass);
  return url.href;
}

/** A guest's classroom: this server's, through the guest routes; never a hub's. */
export class GuestEndpoint implements IEndpoint {
  constructor(
    private readonly _config: IPageConfig,
    private readonly _pass: string
  ) {}

  readonly classrooms: readonly IHubClassroom[] = [];
  readonly current: IHubClassroom | null = null;

  choose(): void {
    // A guest's pass admits to one classroom: nothing to choose.
  }

  fetchMap(path: readonly string[]): Promise<Response> {
    // The pass is the guest's only key: no Jupyter cookie goes with it.
    return fetch(guestMapUrl(this._config, this._pass, path), { credentials: 'omit' });
  }

  socketUrl(): Promise<string> {
    return Promise.resolve(guestSocketUrl(this._config, this._pass));
  }
}
