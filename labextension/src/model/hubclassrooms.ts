import { IHubClassroom } from '../protocol';

/**
 * The hub classroom to join: the one chosen last if it is still offered,
 * else the first; null when there is none.
 */
export function pickClassroom(classrooms: readonly IHubClassroom[], chosen: string | null): IHubClassroom | null {
  return classrooms.find(c => c.name === chosen) ?? classrooms[0] ?? null;
}

/**
 * The socket of a hub classroom: its `ws_path` under the service's URL, over
 * ws or wss as the page, with the token in the query (a browser cannot set
 * headers on a WebSocket).
 */
export function hubSocketUrl(service: string, classroom: IHubClassroom, token: string, page: string): string {
  const base = new URL(service.endsWith('/') ? service : service + '/', page);
  const url = new URL(classroom.ws_path, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('token', token);
  return url.href;
}
