// The styles first: Lumino's layout, then the classroom's, then the page's theme.
import '@lumino/widgets/style/index.css';
import '../../style/index.css';
import '../../style/page.css';

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { MessageLoop } from '@lumino/messaging';
import { BoxPanel, DockPanel, Widget } from '@lumino/widgets';

import { createClassroom } from '../create';
import { ClassroomEndpoint, IEndpoint } from '../model/endpoint';
import { ClassroomPanel } from '../view/panel';
import { IPageConfig, loginUrl, readPageConfig } from './config';
import { GuestEndpoint, takePass } from './guest';
import { PageNotices } from './notices';
import { LocalSettings } from './settings';

/**
 * The standalone classroom page (`{base_url}classroom/page`): the panel of
 * JupyterLab, built by the same code, in a page of its own. A guest's
 * invitation link brings a pass (`#pass=…`); anyone else must be signed in
 * to Jupyter in this browser.
 */

function storage(kind: 'localStorage' | 'sessionStorage'): Storage | null {
  try {
    return window[kind];
  } catch {
    return null;
  }
}

/** Replace the page's content by a message (and a link, if any). */
function showMessage(root: HTMLElement, text: string, link?: { href: string; label: string }): void {
  const box = document.createElement('div');
  box.className = 'jp-ClassroomPage-message';
  box.setAttribute('role', 'alert');
  const heading = document.createElement('h1');
  heading.textContent = document.title;
  const p = document.createElement('p');
  p.textContent = text;
  box.append(heading, p);
  if (link) {
    const a = document.createElement('a');
    a.href = link.href;
    a.textContent = link.label;
    a.className = 'jp-ClassroomPage-signIn';
    box.append(a);
  }
  root.replaceChildren(box);
}

/** Whether this browser is signed in to Jupyter: true, false, or why it cannot tell. */
async function signedIn(settings: ServerConnection.ISettings): Promise<boolean | string> {
  try {
    const response = await ServerConnection.makeRequest(
      URLExt.join(settings.baseUrl, 'classroom', 'config'),
      {},
      settings
    );
    if (response.status === 401 || response.status === 403) {
      return false;
    }
    return response.ok || String(response.status);
  } catch {
    return 'network';
  }
}

/** The Jupyter shortcuts of the panel's commands (schema/plugin.json), on the page. */
function addShortcuts(panel: ClassroomPanel): void {
  const keys: Record<string, () => void> = {
    KeyW: () => panel.map.node.focus(),
    KeyM: () => panel.controls.toggleMic(),
    KeyV: () => panel.controls.toggleCamera(),
    KeyP: () => panel.controls.toggleScreen()
  };
  document.addEventListener('keydown', event => {
    const run = event.altKey && event.shiftKey && !event.ctrlKey && !event.metaKey ? keys[event.code] : undefined;
    if (run) {
      event.preventDefault();
      run();
    }
  });
}

function mount(root: HTMLElement, endpoint: IEndpoint, trans: TranslationBundle): void {
  const notices = new PageNotices(trans.__('Dismiss'));
  const settings = new LocalSettings(storage('localStorage'));
  // Shared screens open in tabs beside the classroom, as beside the notebooks in JupyterLab.
  const screens = new DockPanel();
  screens.addClass('jp-ClassroomPage-screens');
  screens.hide();
  screens.layoutModified.connect(() => screens.setHidden(screens.isEmpty));
  const { panel } = createClassroom({
    endpoint,
    trans,
    notifier: notices,
    settings: Promise.resolve(settings),
    place: null,
    addScreen: (tab, beside) => {
      screens.addWidget(tab, beside ? { mode: 'tab-after', ref: beside } : {});
      screens.show();
    },
    activateScreen: tab => screens.activateWidget(tab)
  });
  // For the browser console and the tests: the settings in force.
  Object.assign(panel.node, { classroomSettings: settings });
  const body = new BoxPanel({ direction: 'left-to-right', spacing: 4 });
  body.addClass('jp-ClassroomPage-main');
  body.addWidget(panel);
  body.addWidget(screens);
  BoxPanel.setStretch(panel, 2);
  BoxPanel.setStretch(screens, 1);
  root.replaceChildren();
  Widget.attach(notices, root);
  Widget.attach(body, root);
  panel.setPlacement('main');
  // The page, not a dock, gives the body its size: tell Lumino when it changes.
  new ResizeObserver(() => MessageLoop.sendMessage(body, Widget.ResizeMessage.UnknownSize)).observe(body.node);
  addShortcuts(panel);
}

async function main(): Promise<void> {
  const root = document.getElementById('classroom-page') ?? document.body;
  const trans = nullTranslator.load('jupyterlab_classroom');
  const config: IPageConfig = readPageConfig(document, window.location.href);
  const pass = takePass({ location: window.location, history: window.history, storage: storage('sessionStorage') });
  if (pass) {
    root.dataset.mode = 'guest';
    mount(root, new GuestEndpoint(config, pass), trans);
    return;
  }
  root.dataset.mode = 'signed-in';
  const settings = ServerConnection.makeSettings({ baseUrl: config.baseUrl, wsUrl: config.wsUrl });
  const state = await signedIn(settings);
  if (state === false) {
    showMessage(
      root,
      trans.__('Sign in to Jupyter to enter the classroom, or open the invitation link you were sent.'),
      {
        href: loginUrl(config, window.location.href),
        label: trans.__('Sign in')
      }
    );
    return;
  }
  if (state !== true) {
    showMessage(root, trans.__('The classroom cannot be reached on this server (%1).', state));
    return;
  }
  mount(root, new ClassroomEndpoint(trans, settings), trans);
}

void main();
