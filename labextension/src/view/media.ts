import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { shownName } from '../model/names';
import { DeviceKind, LocalMedia } from '../rtc/media';
import { AudioMixer } from '../rtc/mixer';
import { IRemoteMedia } from '../rtc/peers';
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

/**
 * Microphone, camera and screen-share toggles, device choice and
 * push-to-talk. Failures are explained and leave the classroom working.
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
    this.node.append(this._mic, this._camera, this._screen, details, this._error.node);
    media.changed.connect(this._update, this);
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
      void this.media.setMic(!on && this._wantMic);
    }
  }

  async toggleMic(): Promise<void> {
    this._wantMic = !this.media.micOn;
    this._error.clear();
    await this.media.setMic(this._wantMic && !this.pushToTalk);
  }

  async toggleCamera(): Promise<void> {
    this._error.clear();
    await this.media.setCamera(!this.media.cameraOn);
  }

  async toggleScreen(): Promise<void> {
    this._error.clear();
    await this.media.setScreen(!this.media.screenOn);
  }

  /** Turn the microphone on as one joins (it can be muted at once). */
  async start(): Promise<void> {
    if (!this._started) {
      this._started = true;
      await this.media.setMic(!this._pushToTalk);
    }
  }

  /** Push-to-talk: the map calls this while Space is held. */
  talk(on: boolean): void {
    if (this.pushToTalk) {
      void this.media.setMic(on);
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
  }

  private _mic: HTMLButtonElement;
  private _camera: HTMLButtonElement;
  private _screen: HTMLButtonElement;
  private _ptt: HTMLInputElement;
  private _error: Notice;
  private _selects: HTMLSelectElement[] = [];
  private _wantMic = true;
  private _started = false;
  private _pushToTalk = false;
  private _pushToTalkChanged = new Signal<this, boolean>(this);
  private _deviceChosen = new Signal<this, { kind: 'audioinput' | 'videoinput'; deviceId: string }>(this);
}

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
    peers.changed.connect(this._render, this);
    room.changed.connect(this._render, this);
    media.changed.connect(this._render, this);
    // Names label the tiles; the room decides the stage's large tile.
    model.roster.participantUpdated.connect(this._render, this);
    model.roster.reset.connect(this._render, this);
    model.roster.speakersChanged.connect(this._render, this);
    this._render();
  }

  /** The camera video of a participant, for drawing beside their avatar. */
  cameraOf(pid: string): HTMLVideoElement | null {
    return this._cameras.get(pid) ?? null;
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
    for (const tile of tiles) {
      const pid = tile.dataset.peer!;
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
    [this._tiles, this._next] = [this._next, this._tiles];
    this.node.replaceChildren(...tiles);
    this.node.hidden = tiles.length === 0;
  }

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
