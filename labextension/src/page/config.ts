/** What the server tells the page (`<script id="classroom-page-config">`). */
export interface IPageConfig {
  /** The Jupyter server's base URL, absolute (ends with `/`). */
  baseUrl: string;
  /** Its WebSocket base URL, absolute (ends with `/`). */
  wsUrl: string;
}

/**
 * The page's configuration, with URLs made absolute against where the page
 * was loaded: the server gives a path (`/user/x/`), and may give no
 * WebSocket URL, which then follows from the page's own scheme and host.
 */
export function pageConfig(raw: { baseUrl?: unknown; wsUrl?: unknown }, pageHref: string): IPageConfig {
  const slash = (url: string) => (url.endsWith('/') ? url : url + '/');
  const base = new URL(slash(typeof raw.baseUrl === 'string' && raw.baseUrl ? raw.baseUrl : '/'), pageHref);
  let ws: URL;
  if (typeof raw.wsUrl === 'string' && raw.wsUrl) {
    ws = new URL(slash(raw.wsUrl), pageHref);
  } else {
    ws = new URL(base.href);
    ws.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  }
  return { baseUrl: base.href, wsUrl: ws.href };
}

/** The configuration the server wrote into the page (defaults where it is missing or broken). */
export function readPageConfig(doc: Document, pageHref: string): IPageConfig {
  let raw: { baseUrl?: unknown; wsUrl?: unknown } = {};
  const text = doc.getElementById('classroom-page-config')?.textContent;
  if (text) {
    try {
      raw = JSON.parse(text);
    } catch {
      console.error('classroom: the page configuration is not JSON');
    }
  }
  return pageConfig(raw, pageHref);
}

/** Jupyter's login page, back to this page afterwards. */
export function loginUrl(config: IPageConfig, pageHref: string): string {
  const page = new URL(pageHref);
  const url = new URL('login', config.baseUrl);
  url.searchParams.set('next', page.pathname + page.search);
  return url.href;
}
