import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

import { IClassroomEndpoint, IError, IHubClassroom, IHubClassrooms } from '../protocol';
import { ClassroomUnavailable } from './connection';
import { hubSocketUrl, pickClassroom } from './hubclassrooms';

/** Where the classroom the page last joined on a hub is remembered. */
const CHOICE_KEY = 'jupyterlab-classroom:hub-classroom';

/**
 * Where a classroom is: its socket and its map. The views need no more, so
 * a page without JupyterLab (a guest's) can bring its own.
 */
export interface IEndpoint {
  /** The hub's classrooms this person may enter (empty when not on a hub). */
  readonly classrooms: readonly IHubClassroom[];
  /** The hub classroom joined (or about to be), or null. */
  readonly current: IHubClassroom | null;
  /** Join this hub classroom next time the socket (re)connects. */
  choose(name: string): void;
  /** A file of the classroom's map: `[]` the map itself, `['files', …]` an image it names. */
  fetchMap(path: readonly string[]): Promise<Response>;
  /** The socket URL to connect to now; rejects with ClassroomUnavailable when there is none. */
  socketUrl(): Promise<string>;
}

/**
 * Finds the classroom's socket: this Jupyter server's own, or, on a
 * JupyterHub single-user server configured for it, the hub's classroom
 * service (authenticated with the token the server gave this page).
 */
export class ClassroomEndpoint implements IEndpoint {
  constructor(
    private readonly _trans: TranslationBundle,
    private readonly _settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** The hub's classrooms this person may enter (empty when not on a hub). */
  get classrooms(): readonly IHubClassroom[] {
    return this._classrooms;
  }

  /** The hub classroom joined (or about to be), or null. */
  get current(): IHubClassroom | null {
    return this._current;
  }

  /** Join this hub classroom next time the socket (re)connects. */
  choose(name: string): void {
    this._choice = name;
    try {
      window.localStorage.setItem(CHOICE_KEY, name);
    } catch {
      // Storage may be unavailable (private windows): the choice lasts this page.
    }
  }

  /**
   * Fetch a file of the classroom's map (`[]`: the map itself; `['files',
   * …]`: an image it names) from wherever the classroom is: this server's
   * `classroom/map`, or the hub classroom's `map` (token-authenticated).
   */
  fetchMap(path: readonly string[]): Promise<Response> {
    const settings = this._settings;
    const parts = path.map(encodeURIComponent);
    if (!this._service || !this._current) {
      return ServerConnection.makeRequest(URLExt.join(settings.baseUrl, 'classroom', 'map', ...parts), {}, settings);
    }
    const base = new URL(this._service.endsWith('/') ? this._service : this._service + '/', window.location.href);
    const url = new URL([`classrooms/${encodeURIComponent(this._current.name)}/map`, ...parts].join('/'), base);
    return fetch(url.href, {
      headers: { Authorization: `token ${settings.token}` },
      credentials: 'omit'
    });
  }

  /** The socket URL to connect to now; rejects with ClassroomUnavailable when there is none. */
  async socketUrl(): Promise<string> {
    const settings = this._settings;
    if (this._service === undefined) {
      const response = await ServerConnection.makeRequest(
        URLExt.join(settings.baseUrl, 'classroom', 'config'),
        {},
        settings
      );
      if (!response.ok) {
        throw new Error(this._trans.__('The classroom is not available on this server (%1).', response.status));
      }
      const config = (await response.json()) as IClassroomEndpoint;
      this._service = config.hub_service_url ?? null;
    }
    const token = settings.token;
    if (this._service === null) {
      const url = URLExt.join(settings.wsUrl, 'classroom', 'ws');
      return token ? `${url}?token=${encodeURIComponent(token)}` : url;
    }
    return this._hubSocketUrl(this._service, token);
  }

  private async _hubSocketUrl(service: string, token: string): Promise<string> {
    const base = new URL(service.endsWith('/') ? service : service + '/', window.location.href);
    let response: Response;
    try {
      // Token-authenticated, never by cookie (see the hub service's handlers).
      response = await fetch(new URL('api/classrooms', base).href, {
        headers: { Authorization: `token ${token}` },
        credentials: 'omit',
        cache: 'no-store'
      });
    } catch {
      throw new Error(this._trans.__("The hub's classroom service cannot be reached."));
    }
    if (!response.ok) {
      let message = this._trans.__("The hub's classroom service answered %1.", response.status);
      try {
        message = ((await response.json()) as IError).message || message;
      } catch {
        // Not JSON (a proxy's error page): keep the status.
      }
      if (response.status === 401 || response.status === 403) {
        throw new ClassroomUnavailable(message);
      }
      throw new Error(message);
    }
    const listing = (await response.json()) as IHubClassrooms;
    this._classrooms = listing.classrooms;
    if (!listing.classrooms.length) {
      this._current = null;
      throw new ClassroomUnavailable(
        this._trans.__('You are not a member of any classroom on this hub. Ask your instructor to add you.')
      );
    }
    let choice = this._choice;
    if (choice === null) {
      try {
        choice = window.localStorage.getItem(CHOICE_KEY);
      } catch {
        choice = null;
      }
    }
    const current = pickClassroom(listing.classrooms, choice)!;
    this._current = current;
    return hubSocketUrl(service, current, token, window.location.href);
  }

  /** undefined: not asked yet; null: this server's own classroom. */
  private _service: string | null | undefined = undefined;
  private _classrooms: IHubClassroom[] = [];
  private _current: IHubClassroom | null = null;
  private _choice: string | null = null;
}
