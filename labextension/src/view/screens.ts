import { MainAreaWidget } from '@jupyterlab/apputils';
import { IDisposable } from '@lumino/disposable';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IClassroom, IPeers, IRoomConnection } from '../tokens';

/**
 * Where the plugin puts a screen's tab: `beside` is another screen's tab
 * that is open already (so screens gather in one tab bar), or null.
 */
export type ScreenTabPlacer = (tab: ScreenTab, beside: ScreenTab | null) => void;

/**
 * One shared screen in a main-area tab of its own, titled with the
 * presenter's name. When the share ends the tab says so (and shows the
 * screen again if the same person shares again); closing it is the reader's
 * choice.
 */
export class ScreenTab extends MainAreaWidget<Widget> {
  constructor(
    readonly model: IClassroom,
    readonly presenter: string
  ) {
    const content = new Widget();
    content.addClass('jp-Classroom-screenTab');
    super({ content });
    this.id = `jp-classroom-screen-${presenter}`;
    this.title.closable = true;
    this._video = document.createElement('video');
    this._video.autoplay = true;
    this._video.muted = true; // a screen's sound, if any, goes through the mixer
    this._video.playsInline = true;
    this._ended = document.createElement('p');
    this._ended.className = 'jp-Classroom-screenEnded';
    this._ended.setAttribute('role', 'status');
    this._ended.hidden = true;
    content.node.append(this._video, this._ended);
    this.toolbar.addClass('jp-Classroom-screenToolbar');
    const close = document.createElement('button');
    close.className = 'jp-Button jp-mod-styled';
    close.dataset.action = 'close-screen';
    close.addEventListener('click', () => this.close());
    this._closeButton = close;
    const holder = new Widget({ node: close });
    this.toolbar.addItem('close', holder);
  }

  /** Whether the presenter is sharing right now. */
  get live(): boolean {
    return this._video.srcObject !== null;
  }

  /** Show this stream (a new one after a reconnection, or after a new share). */
  setStream(stream: MediaStream): void {
    if (this._video.srcObject !== stream) {
      this._video.srcObject = stream;
    }
    this._video.hidden = false;
    this._ended.hidden = true;
    this.removeClass('jp-mod-ended');
    this.updateNames();
  }

  /** The presenter stopped sharing (or left): say so, keep the tab. */
  end(): void {
    if (this._video.srcObject === null) {
      return;
    }
    this._video.srcObject = null;
    this._video.hidden = true;
    this._ended.hidden = false;
    this.addClass('jp-mod-ended');
    this.updateNames();
  }

  /** Names in the title and texts follow the presenter's name. */
  updateNames(): void {
    const trans = this.model.trans;
    const name = this.model.roster.get(this.presenter)?.name ?? trans.__('Someone');
    const ended = this._video.srcObject === null;
    this.title.label = ended ? trans.__("%1's screen (ended)", name) : trans.__("%1's screen", name);
    this.title.caption = ended
      ? trans.__('%1 stopped sharing their screen', name)
      : trans.__("%1's shared screen, from the classroom", name);
    this._video.setAttribute('aria-label', trans.__("%1's shared screen", name));
    this._ended.textContent = trans.__(
      '%1 stopped sharing their screen. This tab shows it again if they share again; close it when you are done.',
      name
    );
    this._closeButton.textContent = trans.__('Close');
    this._closeButton.setAttribute('aria-label', trans.__("Close %1's screen", name));
  }

  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    this.dispose();
  }

  private _video: HTMLVideoElement;
  private _ended: HTMLParagraphElement;
  private _closeButton: HTMLButtonElement;
}

/**
 * The shared screens we receive, each in a main-area tab of its own. A
 * screen opens its tab once, when its share starts; a tab closed by hand
 * stays closed for that share (the media strip's Pop out opens it again).
 */
export class ScreenTabs implements IDisposable {
  constructor(
    readonly model: IClassroom,
    readonly peers: IPeers,
    readonly room: IRoomConnection,
    private readonly _place: ScreenTabPlacer
  ) {
    peers.changed.connect(this._update, this);
    room.changed.connect(this._update, this);
    model.roster.participantUpdated.connect(this._rename, this);
    model.roster.reset.connect(this._rename, this);
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The open tab of a participant's screen, if any. */
  tabOf(pid: string): ScreenTab | null {
    return this._tabs.get(pid) ?? null;
  }

  /** Open (or bring forward) the tab of a participant's screen. */
  show(pid: string): ScreenTab | null {
    const stream = this._screens().get(pid);
    let tab = this._tabs.get(pid) ?? null;
    if (!stream && !tab) {
      return null;
    }
    if (!tab) {
      tab = this._open(pid, stream!, true);
    } else if (stream) {
      tab.setStream(stream);
    }
    return tab;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.peers.changed.disconnect(this._update, this);
    this.room.changed.disconnect(this._update, this);
    this.model.roster.participantUpdated.disconnect(this._rename, this);
    this.model.roster.reset.disconnect(this._rename, this);
    for (const tab of [...this._tabs.values()]) {
      tab.dispose();
    }
  }

  /** Who shares a screen with us now, and its stream. */
  private _screens(): Map<string, MediaStream> {
    const screens = new Map<string, MediaStream>();
    for (const [pid, call] of this.peers.calls) {
      if (call.remote.screen) {
        screens.set(pid, call.remote.screen);
      }
    }
    for (const [pid, media] of this.room.remote) {
      if (media.screen) {
        screens.set(pid, media.screen);
      }
    }
    return screens;
  }

  private _open(pid: string, stream: MediaStream, activate: boolean): ScreenTab {
    const tab = new ScreenTab(this.model, pid);
    tab.setStream(stream);
    tab.disposed.connect(() => {
      if (this._tabs.get(pid) === tab) {
        this._tabs.delete(pid);
      }
    });
    const beside = [...this._tabs.values()].find(t => t.isAttached) ?? null;
    this._tabs.set(pid, tab);
    this._place(tab, beside);
    if (activate) {
      tab.activate();
    }
    return tab;
  }

  private _update(): void {
    const screens = this._screens();
    for (const [pid, stream] of screens) {
      const tab = this._tabs.get(pid);
      if (tab) {
        tab.setStream(stream);
      } else if (!this._opened.has(pid)) {
        this._open(pid, stream, false);
        this.model.announcements.announce(
          this.model.trans.__('%1 is sharing their screen: it opened in a tab beside your notebooks.', this._name(pid))
        );
      }
      this._opened.add(pid);
    }
    for (const [pid, tab] of this._tabs) {
      if (!screens.has(pid) && tab.live) {
        tab.end();
        this.model.announcements.announce(this.model.trans.__('%1 stopped sharing their screen.', this._name(pid)));
      }
    }
    for (const pid of [...this._opened]) {
      if (!screens.has(pid)) {
        // The share ended: the next one opens its tab again.
        this._opened.delete(pid);
      }
    }
  }

  private _name(pid: string): string {
    return this.model.roster.get(pid)?.name ?? this.model.trans.__('Someone');
  }

  private _rename(): void {
    for (const tab of this._tabs.values()) {
      tab.updateNames();
    }
  }

  private _tabs = new Map<string, ScreenTab>();
  /** Presenters whose current share has had its tab opened (closed since, maybe). */
  private _opened = new Set<string>();
  private _disposed = false;
}
