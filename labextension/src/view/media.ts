import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { lockedMedia, MediaLockKind, mediaLockNote } from '../model/medialocks';
import { shownName } from '../model/names';
import { DeviceKind, LocalMedia } from '../rtc/media';
import { AudioMixer } from '../rtc/mixer';
import { IRemoteMedia } from '../rtc/peers';
import { IVisibleTile, shownReport } from '../rtc/shown';
import { IClassroom, IPeers, IRoomConnection } from '../tokens';
import { Notice } from './notice';

function toggleButton(label: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.className = 'jp-Button jp-mod-styled jp-Classroom-toggle';
  b.textContent = label;
  b.setAttribute('aria-pressed', 'false');
  b.addEventListener('click', onClick);
  return b;
}

let nextId = 0;

/**
 * Microphone, camera and screen-share toggles, device choice and
 * push-to-talk. Failures are explained and leave the classroom working.
 * What an instructor locked is disabled for students, with the reason in a
 * note beside the buttons (their description) until it is unlocked.
 */
export class MediaControls extends Widget {
  constructor(
    readonly model: IClassroom,
    readonly media: LocalMedia,
    readonly mixer: AudioMixer,
    readonly room: IRoomConnection
  ) {
    super();
    const trans = model.trans;
    this.addClass('jp-Classroom-media');
    this._mic = toggleButton(trans.__('Microphone'), () => void this.toggleMic());
    this._camera = toggleButton(trans.__('Camera'), () => void this.toggleCamera());
    this._screen = toggleButton(trans.__('Share screen'), () => void this.toggleScreen());
    const details = document.createElement('details');
    details.className = 'jp-Classroom-devices';
    const summary = document.createElement('summary');
    summary.textContent = trans.__('Devices');
    details.appendChild(summary);
    for (const [kind, label] of [
      ['audioinput', trans.__('Microphone')],
      ['videoinput', trans.__('Camera')],
      ['audiooutput', trans.__('Speaker')]
    ] as [DeviceKind, string][]) {
      const row = document.createElement('label');
      row.textContent = label;
      const select = document.createElement('select');
      select.dataset.kind = kind;
      select.addEventListener('change', () => {
        if (kind === 'audiooutput') {
          void this.mixer.setSpeaker(select.value);
        } else {
          void media.choose(kind, select.value);
          this._deviceChosen.emit({ kind, deviceId: select.value });
        }
      });
      row.appendChild(select);
      details.appendChild(row);
      this._selects.push(select);
    }
    const ptt = document.createElement('label');
    this._ptt = document.createElement('input');
    this._ptt.type = 'checkbox';
    this._ptt.addEventListener('change', () => {
      this.setPushToTalk(this._ptt.checked);
      this._pushToTalkChanged.emit(this._ptt.checked);
    });
    ptt.append(this._ptt, ' ', trans.__('Push to talk (hold Space on the map)'));
    details.appendChild(ptt);
    details.addEventListener('toggle', () => details.open && void this._fillDevices());
    // Device problems stay longer than most: they take a moment to act on.
    this._error = new Notice();
    this._lockNote = document.createElement('p');
    this._lockNote.className = 'jp-Classroom-note jp-Classroom-lockNote';
    this._lockNote.id = `jp-Classroom-media-${nextId++}-locked`;
    this._lockNote.hidden = true;
    this.node.append(this._mic, this._camera, this._screen, details, this._lockNote, this._error.node);
    media.changed.connect(this._update, this);
    model.classState.changed.connect(this._update, this);
    // Our role decides whether the locks hold for us (an instructor may promote us).
    model.roster.participantUpdated.connect(this._update, this);
    model.joined.connect(this._update, this);
    media.errorOccurred.connect((_, message) => {
      this._error.show(message, 'media', 15000);
    });
    this._update();
  }

  /** Whether the microphone is live only while Space is held on the map. */
  get pushToTalk(): boolean {
    return this._pushToTalk;
  }

  /** Someone picked a microphone or camera in the Devices menu. */
  get deviceChosen(): ISignal<this, { kind: 'audioinput' | 'videoinput'; deviceId: string }> {
    return this._deviceChosen;
  }

  /** Someone ticked or unticked "Push to talk" (not a call to `setPushToTalk`). */
  get pushToTalkChanged(): ISignal<this, boolean> {
    return this._pushToTalkChanged;
  }

  /** Switch push-to-talk: the microphone goes quiet until Space is held, or back to how it was. */
  setPushToTalk(on: boolean): void {
    this._ptt.checked = on;
    if (this._pushToTalk === on) {
      return;
    }
    this._pushToTalk = on;
    if (this._started) {
      void this.media.setMic(!on && this._wantMic && !this._locked.has('mic'));
    }
  }

  async toggleMic(): Promise<void> {
    if (this._locked.has('mic') && !this.media.micOn) {
      return;
    }
    this._wantMic = !this.media.micOn;
    this._error.clear();
    await this.media.setMic(this._wantMic && !this.pushToTalk);
  }

  async toggleCamera(): Promise<void> {
    if (this._locked.has('camera') && !this.media.cameraOn) {
      return;
    }
    this._error.clear();
    await this.media.setCamera(!this.media.cameraOn);
  }

  async toggleScreen(): Promise<void> {
    if (this._locked.has('screen') && !this.media.screenOn) {
      return;
    }
    this._error.clear();
    await this.media.setScreen(!this.media.screenOn);
  }

  /** Turn the microphone on as one joins (it can be muted at once). */
  async start(): Promise<void> {
    if (!this._started) {
      this._started = true;
      await this.media.setMic(!this._pushToTalk && !this._locked.has('mic'));
    }
  }

  /** Push-to-talk: the map calls this while Space is held. */
  talk(on: boolean): void {
    if (this.pushToTalk) {
      void this.media.setMic(on && !this._locked.has('mic'));
    }
  }

  private async _fillDevices(): Promise<void> {
    const devices = await this.media.devices();
    for (const select of this._selects) {
      const kind = select.dataset.kind as DeviceKind;
      select.replaceChildren();
      const fallback = document.createElement('option');
      fallback.value = '';
      fallback.textContent = this.model.trans.__('Default');
      select.appendChild(fallback);
      for (const d of devices.filter(d => d.kind === kind)) {
        const option = document.createElement('option');
        option.value = d.deviceId;
        option.textContent = d.label || `${kind} ${select.length}`;
        select.appendChild(option);
      }
      select.value = this.media.chosen[kind];
    }
  }

  private _update(): void {
    const m = this.media;
    const trans = this.model.trans;
    const set = (b: HTMLButtonElement, on: boolean, onLabel: string, offLabel: string) => {
      b.setAttribute('aria-pressed', String(on));
      b.textContent = on ? onLabel : offLabel;
    };
    set(this._mic, m.micOn, trans.__('Mute'), trans.__('Unmute'));
    this._mic.setAttribute(
      'aria-label',
      m.micOn ? trans.__('Microphone on: mute it') : trans.__('Microphone off: unmute it')
    );
    set(this._camera, m.cameraOn, trans.__('Stop camera'), trans.__('Start camera'));
    set(this._screen, m.screenOn, trans.__('Stop sharing'), trans.__('Share screen'));
    this.model.setMedia({ mic: m.micOn, camera: m.cameraOn, screen: m.screenOn });
    this._showLocks();
  }

  /** Disable what is locked for us (still on only until the lock is obeyed: it can be switched off). */
  private _showLocks(): void {
    const trans = this.model.trans;
    this._locked = lockedMedia(this.model.classState.state?.locks, this.model.me?.role);
    const on = { mic: this.media.micOn, camera: this.media.cameraOn, screen: this.media.screenOn };
    const buttons: [MediaLockKind, HTMLButtonElement][] = [
      ['mic', this._mic],
      ['camera', this._camera],
      ['screen', this._screen]
    ];
    for (const [kind, b] of buttons) {
      const locked = this._locked.has(kind);
      b.disabled = locked && !on[kind];
      b.title = locked ? mediaLockNote(new Set([kind]), trans) : '';
      if (locked) {
        b.setAttribute('aria-describedby', this._lockNote.id);
      } else {
        b.removeAttribute('aria-describedby');
      }
    }
    this._lockNote.textContent = mediaLockNote(this._locked, trans);
    this._lockNote.dataset.locked = String(this._locked.size > 0);
    this._lockNote.hidden = this._locked.size === 0;
  }

  private _mic: HTMLButtonElement;
  private _camera: HTMLButtonElement;
  private _screen: HTMLButtonElement;
  private _ptt: HTMLInputElement;
  private _error: Notice;
  private _lockNote: HTMLParagraphElement;
  private _locked = new Set<MediaLockKind>();
  private _selects: HTMLSelectElement[] = [];
  private _wantMic = true;
  private _started = false;
  private _pushToTalk = false;
  private _pushToTalkChanged = new Signal<this, boolean>(this);
  private _deviceChosen = new Signal<this, { kind: 'audioinput' | 'videoinput'; deviceId: string }>(this);
}

/** Milliseconds a change of what is shown must settle before it is reported. */
const REPORT_DELAY_MS = 250;
/** About the size of a camera in an avatar's bubble. */
const BUBBLE_PX = 48;

/** "Speaking", for eyes and screen readers alike. */
function speakingMark(text: string): HTMLElement {
  const mark = document.createElement('span');
  mark.className = 'jp-Classroom-speakingMark';
  mark.textContent = ` ${text}`;
  return mark;
}

/** A video element for a stream (sound goes through the spatial mixer). */
function video(stream: MediaStream): HTMLVideoElement {
  const v = document.createElement('video');
  v.autoplay = true;
  v.muted = true;
  v.playsInline = true;
  v.srcObject = stream;
  return v;
}

/**
 * Camera tiles of the people we talk with (on the open floor or in our
 * room), and a small tile for each shared screen: the screen itself opens in
 * a main-area tab of its own, and Pop out brings that tab back. In a room
 * the speakers' tiles are marked, and on the stage the active speaker's
 * camera is the large tile.
 *
 * The room's cameras are only received while shown: in a tile on screen
 * or in the avatars' bubbles on the map (`showsCamerasToo`), each watched
 * with an IntersectionObserver; what is shown, with its size, is reported to
 * the server a moment after it changes (and only then). "Hide videos" folds
 * the tiles away and empties the bubbles, and so stops every camera. Shared
 * screens are always received: their tab may show them.
 *
 * A video the server holds back because our link does not carry it keeps
 * its last picture, dimmed, with the reason over it; the strip's live
 * region says it once (and once more when the videos are back).
 */
export class MediaStrip extends Widget {
  constructor(
    readonly model: IClassroom,
    readonly media: LocalMedia,
    readonly peers: IPeers,
    readonly room: IRoomConnection,
    private readonly _showScreen: (pid: string) => void
  ) {
    super();
    this.addClass('jp-Classroom-strip');
    this.node.setAttribute('aria-label', model.trans.__('Cameras and shared screens'));
    this.node.setAttribute('role', 'region');
    this._fold = toggleButton(model.trans.__('Hide videos'), () => this._setFolded(!this._folded));
    this._fold.classList.add('jp-Classroom-fold');
    this._list = document.createElement('div');
    this._list.className = 'jp-Classroom-tiles';
    this._live = document.createElement('div');
    this._live.className = 'jp-Classroom-visuallyHidden';
    this._live.setAttribute('aria-live', 'polite');
    this.node.append(this._fold, this._list, this._live);
    this._observer = new IntersectionObserver(this._onIntersect);
    peers.changed.connect(this._render, this);
    room.changed.connect(this._render, this);
    media.changed.connect(this._render, this);
    // Names label the tiles; the room decides the stage's large tile.
    model.roster.participantUpdated.connect(this._render, this);
    model.roster.reset.connect(this._render, this);
    model.roster.speakersChanged.connect(this._render, this);
    this._render();
  }

  /** The camera video of a participant, for drawing beside their avatar (null while videos are hidden). */
  cameraOf(pid: string): HTMLVideoElement | null {
    return pid === this.model.myId || !this._folded ? (this._cameras.get(pid) ?? null) : null;
  }

  /** Where else the cameras are shown while it is on screen (the map's bubbles). */
  showsCamerasToo(element: Element): void {
    this._elsewhere = element;
    this._observer.observe(element);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._observer.disconnect();
    window.clearTimeout(this._reportTimer);
    super.dispose();
  }

  private _setFolded(folded: boolean): void {
    this._folded = folded;
    this._list.hidden = folded || this._list.childElementCount === 0;
    const trans = this.model.trans;
    this._fold.setAttribute('aria-pressed', String(folded));
    this._fold.textContent = folded ? trans.__('Show videos') : trans.__('Hide videos');
    this._scheduleReport();
    this._fold.setAttribute(
      'aria-label',
      folded
        ? trans.__('Videos hidden (cameras are not received): show them')
        : trans.__('Hide the videos (and stop receiving cameras)')
    );
  }

  private _onIntersect = (entries: IntersectionObserverEntry[]): void => {
    for (const entry of entries) {
      if (entry.target === this._elsewhere) {
        this._elsewhereShown = entry.isIntersecting;
      } else if (entry.isIntersecting) {
        this._visible.set(entry.target, entry.boundingClientRect);
      } else {
        this._visible.delete(entry.target);
      }
    }
    this._scheduleReport();
  };

  /** Report what is shown a moment after it changes: a scroll's many changes make one report. */
  private _scheduleReport(): void {
    if (!this._reportTimer) {
      this._reportTimer = window.setTimeout(() => {
        this._reportTimer = 0;
        this._report();
      }, REPORT_DELAY_MS);
    }
  }

  private _report(): void {
    const visible: IVisibleTile[] = [];
    for (const tile of this._tiles.values()) {
      const pid = tile.figure.dataset.peer!;
      if (!this.room.remote.has(pid)) {
        continue; // an open-floor call's, not the room's
      }
      const rect = this._visible.get(tile.figure);
      if (tile.figure.dataset.kind === 'screen') {
        visible.push({ participant: pid, source: 'screen_share', width: rect?.width ?? 0, height: rect?.height ?? 0 });
      } else if (!this._folded && (rect || this._elsewhereShown)) {
        // Not in a tile on screen: in a bubble on the map.
        const [width, height] = rect ? [rect.width, rect.height] : [BUBBLE_PX, BUBBLE_PX];
        visible.push({ participant: pid, source: 'camera', width, height });
      }
    }
    // Over the media socket a report covers the videos we had tiles for
    // when we sent it: a tile made since (a video that came back) is
    // covered by saying it again, even if what is on screen is the same.
    this.room.setShown(shownReport(visible), this._newTiles);
    this._newTiles = false;
  }

  /** A tile for a stream: the one shown already if nothing changed (its video keeps playing). */
  private _tile(pid: string, stream: MediaStream, kind: 'camera' | 'screen'): HTMLElement {
    const trans = this.model.trans;
    const who = this.model.roster.get(pid);
    const name = who ? shownName(who, trans) : trans.__('Someone');
    const key = `${pid}:${kind}`;
    const label = kind === 'screen' ? trans.__('%1 (screen)', name) : name;
    const shown = this._tiles.get(key);
    if (shown && shown.stream === stream && shown.label === label) {
      this._next.set(key, shown);
      if (kind === 'camera') {
        this._cameras.set(pid, shown.video);
      }
      return shown.figure;
    }
    const figure = document.createElement('figure');
    figure.className = `jp-Classroom-tile jp-mod-${kind}`;
    figure.dataset.peer = pid;
    figure.dataset.kind = kind;
    const v = video(stream);
    v.setAttribute(
      'aria-label',
      kind === 'screen' ? trans.__("%1's shared screen", name) : trans.__("%1's camera", name)
    );
    const caption = document.createElement('figcaption');
    const text = document.createElement('span');
    text.textContent = label;
    caption.appendChild(text);
    figure.append(v, caption);
    this._next.set(key, { figure, video: v, stream, label });
    if (kind === 'camera') {
      this._cameras.set(pid, v);
    } else {
      const pop = document.createElement('button');
      pop.className = 'jp-Button jp-mod-styled';
      pop.textContent = trans.__('Pop out');
      pop.setAttribute('aria-label', trans.__("Open %1's shared screen in a tab", name));
      pop.addEventListener('click', () => this._showScreen(pid));
      caption.appendChild(pop);
    }
    return figure;
  }

  private _render(): void {
    this._cameras.clear();
    this._next.clear();
    const screens: HTMLElement[] = [];
    const cameras: HTMLElement[] = [];
    const me = this.model.myId;
    const speakers = this.model.roster.speakers;
    const onStage = this.model.room(this.model.me?.room)?.kind === 'stage';
    // The stage's large tile stays with the last active speaker through
    // their pauses, until someone else speaks.
    if (!onStage) {
      this._stageSpeaker = null;
    } else if (speakers.length) {
      this._stageSpeaker = speakers[0];
    }
    const featured = this._stageSpeaker;
    if (me && this.media.cameraOn) {
      cameras.push(this._tile(me, this.media.userStream, 'camera'));
    }
    const remote: [string, IRemoteMedia][] = [
      ...[...this.peers.calls].map(([pid, call]) => [pid, call.remote] as [string, IRemoteMedia]),
      ...this.room.remote
    ];
    for (const [pid, media] of remote) {
      if (media.screen) {
        screens.push(this._tile(pid, media.screen, 'screen'));
      }
      if (media.camera) {
        const tile = this._tile(pid, media.camera, 'camera');
        if (pid === featured) {
          // The stage's active speaker is the large tile, first.
          tile.classList.add('jp-mod-featured');
          cameras.unshift(tile);
        } else {
          cameras.push(tile);
        }
      }
    }
    const tiles = [...screens, ...cameras];
    const held = this.room.held;
    let holding = false;
    for (const tile of tiles) {
      const pid = tile.dataset.peer!;
      const source = tile.dataset.kind === 'screen' ? 'screen_share' : 'camera';
      const isHeld = held.has(`${pid}:${source}`) && this.room.remote.has(pid);
      holding ||= isHeld;
      this._markHeld(tile, isHeld);
      const speaking = speakers.includes(pid) && tile.dataset.kind === 'camera';
      tile.classList.toggle('jp-mod-speaking', speaking);
      if (pid !== featured || tile.dataset.kind !== 'camera') {
        tile.classList.remove('jp-mod-featured');
      }
      const mark = tile.querySelector('.jp-Classroom-speakingMark');
      if (speaking && !mark) {
        tile.querySelector('figcaption')!.appendChild(speakingMark(this.model.trans.__('(speaking)')));
      } else if (!speaking && mark) {
        mark.remove();
      }
    }
    for (const [key, tile] of this._tiles) {
      if (this._next.get(key)?.figure !== tile.figure) {
        this._observer.unobserve(tile.figure);
        this._visible.delete(tile.figure);
      }
    }
    for (const [key, tile] of this._next) {
      if (this._tiles.get(key)?.figure !== tile.figure) {
        this._observer.observe(tile.figure);
        this._newTiles = true;
      }
    }
    if (holding !== this._holding) {
      this._holding = holding;
      const trans = this.model.trans;
      this._live.textContent = holding
        ? trans.__('Some videos are paused: your connection is slow. Voices go on.')
        : trans.__('The paused videos are back.');
    }
    [this._tiles, this._next] = [this._next, this._tiles];
    this._list.replaceChildren(...tiles);
    this._setFolded(this._folded);
    this.node.hidden = tiles.length === 0;
    this._scheduleReport();
  }

  /** Dim a tile whose video the server holds back, and say why over it. */
  private _markHeld(tile: HTMLElement, held: boolean): void {
    tile.classList.toggle('jp-mod-held', held);
    const note = tile.querySelector('.jp-Classroom-tileNote');
    if (held && !note) {
      const p = document.createElement('p');
      p.className = 'jp-Classroom-tileNote';
      p.textContent = this.model.trans.__('Paused: your connection is slow');
      tile.prepend(p);
    } else if (!held && note) {
      note.remove();
    }
  }

  private _fold: HTMLButtonElement;
  private _list: HTMLDivElement;
  private _live: HTMLDivElement;
  private _holding = false;
  private _folded = false;
  private _observer: IntersectionObserver;
  /** The tiles on screen now, with their size. */
  private _visible = new Map<Element, DOMRectReadOnly>();
  private _reportTimer = 0;
  private _elsewhere: Element | null = null;
  private _elsewhereShown = false;
  /** Whether tiles were made since the last report. */
  private _newTiles = false;
  private _cameras = new Map<string, HTMLVideoElement>();
  private _stageSpeaker: string | null = null;
  private _tiles = new Map<string, ITile>();
  private _next = new Map<string, ITile>();
}

interface ITile {
  figure: HTMLElement;
  video: HTMLVideoElement;
  stream: MediaStream;
  label: string;
}
