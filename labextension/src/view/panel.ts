import { LabIcon } from '@jupyterlab/ui-components';
import { IDisposable } from '@lumino/disposable';
import { Message } from '@lumino/messaging';
import { Panel, PanelLayout, Widget } from '@lumino/widgets';

import classroomSvg from '../../style/icons/classroom.svg';
import { IConnectionState } from '../model/connection';
import { LocalMedia } from '../rtc/media';
import { AudioMixer } from '../rtc/mixer';
import { SocketMedia } from '../rtc/wsmedia/socketmedia';
import { IClassroom, IPeers, IRoomConnection } from '../tokens';
import { ChatPane } from './chat';
import { RoomCallStatus } from './callstatus';
import { TransportStatus } from './transport';
import { ClassroomChooser } from './classrooms';
import { ClassroomMap } from './map';
import { MapControls } from './mapcontrols';
import { MediaControls, MediaStrip } from './media';
import { ParticipantList } from './participants';
import { ProfileForm } from './profile';
import { TeachingTools } from './teaching/tools';
import { AnnouncementBanner } from './banner';
import { el } from './dom';
import { ClassroomBody } from './layout';
import { SectionId } from './layoutmode';

/** The map box's horizontal margins and borders, its borders alone (.jp-Classroom-map), and its least height. */
const MAP_MARGIN = 18;
const MAP_BORDERS = 2;
const MAP_MIN_HEIGHT = 80;
/** The map box's vertical margins, and the share of the stage the camera tiles may take (.jp-Classroom-strip). */
const MAP_MARGINS_Y = 12;
const STRIP_SHARE = 0.4;

export const classroomIcon = new LabIcon({ name: 'jupyterlab-classroom:classroom', svgstr: classroomSvg });

/**
 * The Classroom panel: the connection's and our hand's bar, the
 * announcement, our media, then the map, people, chat and (instructors) the
 * teaching tools, arranged for the space there is (`ClassroomBody`). Joins
 * the classroom the first time it is shown. Built from the model and media
 * alone; the JupyterLab plugin only places it.
 */
export class ClassroomPanel extends Widget {
  constructor(
    readonly model: IClassroom,
    readonly media: LocalMedia,
    readonly mixer: AudioMixer,
    readonly peers: IPeers,
    readonly room: IRoomConnection,
    readonly socket: SocketMedia,
    /** Move the panel between the sidebar and the main area (null: it stays where it is). */
    private readonly _place: ((where: 'main' | 'left') => void) | null,
    showScreen: (pid: string) => void
  ) {
    super();
    const { trans, connection } = model;
    this.id = 'jp-classroom-panel';
    this.addClass('jp-Classroom-panel');
    this.title.icon = classroomIcon;
    this.title.label = trans.__('Classroom');
    this.title.caption = trans.__('Classroom: walk, talk and chat with your class');
    this.title.closable = true;

    const layout = new PanelLayout();
    this.layout = layout;

    const bar = new Widget();
    bar.addClass('jp-Classroom-bar');
    this._status = document.createElement('span');
    this._status.className = 'jp-Classroom-status';
    this._status.setAttribute('role', 'status');
    this._retry = document.createElement('button');
    this._retry.className = 'jp-Button jp-mod-styled';
    this._retry.textContent = trans.__('Reconnect now');
    this._retry.hidden = true;
    this._retry.addEventListener('click', () => model.connection.reconnectNow());
    this._hand = document.createElement('button');
    this._hand.className = 'jp-Button jp-mod-styled jp-Classroom-hand';
    this._hand.textContent = trans.__('Raise hand');
    this._hand.setAttribute('aria-pressed', 'false');
    this._hand.addEventListener('click', () => this.toggleHand());
    this._move = document.createElement('button');
    this._move.className = 'jp-Button jp-mod-styled';
    this._move.hidden = !_place;
    this._move.addEventListener('click', () => this._place?.(this._inMain ? 'left' : 'main'));
    this.profile = new ProfileForm(model);
    bar.node.append(
      this._status,
      this._retry,
      this._hand,
      this.profile.node,
      this._move,
      this.profile.error.node,
      this.profile.saved.node
    );
    if (model.endpoint) {
      bar.node.prepend(new ClassroomChooser(model, model.endpoint).node);
    }

    this.banner = new AnnouncementBanner(model);
    this.controls = new MediaControls(model, media, mixer, room);
    this.strip = new MediaStrip(model, media, peers, room, showScreen);
    this.map = new ClassroomMap(model);
    this.map.decorations = {
      level: pid => (pid === model.myId ? mixer.localLevel(media.micTrack) : mixer.level(pid)),
      camera: pid => this.strip.cameraOf(pid),
      talk: on => this.controls.talk(on)
    };
    this.strip.showsCamerasToo(this.map.node);
    model.joined.connect(() => void this.controls.start());
    this.node.addEventListener('pointerdown', () => mixer.resume());
    this.node.addEventListener('keydown', () => mixer.resume());
    this.callStatus = new RoomCallStatus(model, room);
    this.participants = new ParticipantList(model, mixer, peers, room, user => {
      this._body.select('chat');
      this.chat.showChannel(`direct:${user}`);
      this.chat.focusInput();
    });
    this.participants.callStatus = this.callStatus;
    // The person focused in the list has their name shown on the map.
    this.participants.node.addEventListener('focusin', event => {
      const entry = (event.target as HTMLElement).closest<HTMLElement>('li[data-id]');
      this.map.showNameOf(entry?.dataset.id ?? null);
    });
    this.participants.node.addEventListener('focusout', () => this.map.showNameOf(null));
    this.chat = new ChatPane(model);
    this.teaching = new TeachingTools(model);

    // The map's stage: the call's badge, the view's buttons (shown above the
    // map, never over its drawing, and after it in the keyboard's order), the
    // map, the class's state and the cameras.
    const stage = new Panel();
    stage.addClass('jp-Classroom-stage');
    const mapBar = new Panel();
    mapBar.addClass('jp-Classroom-mapBar');
    mapBar.addWidget(new MapControls(this.map));
    const mapArea = new Panel();
    mapArea.addClass('jp-Classroom-mapArea');
    mapArea.addWidget(this.map);
    stage.addWidget(this.callStatus);
    stage.addWidget(new TransportStatus(model, socket));
    stage.addWidget(mapArea);
    stage.addWidget(mapBar);
    stage.addWidget(new Widget({ node: this.teaching.status }));
    stage.addWidget(this.strip);
    this._mapArea = mapArea;
    this._stage = stage;

    const people = new Panel();
    people.addClass('jp-Classroom-people');
    this._stale = el('p', 'jp-Classroom-stale');
    this._stale.hidden = true;
    people.addWidget(new Widget({ node: this._stale }));
    people.addWidget(this.participants);
    const teaching = new Panel();
    teaching.addClass('jp-Classroom-teachingSection');
    teaching.addWidget(this.teaching);

    this._body = new ClassroomBody(
      [
        { id: 'map', label: trans.__('Map'), widget: stage },
        { id: 'people', label: trans.__('People'), widget: people },
        { id: 'chat', label: trans.__('Chat'), widget: this.chat },
        { id: 'teaching', label: trans.__('Teaching'), widget: teaching }
      ],
      () => (model.map ? [model.map.width, model.map.height] : null),
      trans.__('Classroom sections'),
      () => ({ belowMap: this._stripHeight, mapTab: this._stageHeight })
    );
    this._body.newLabel = trans.__('new');
    this._body.setAvailable('teaching', false);
    this._body.layoutChanged.connect(() => this._fitMap());
    this.map.viewChanged.connect(() => this._fitMap());
    this._fitMapObserver = new ResizeObserver(() => {
      // The tiles' height while they can be seen (a tab not chosen hides them,
      // and the arrangement must not flip for that).
      if (this.strip.isVisible) {
        this._stripHeight = this.strip.node.scrollHeight;
      }
      if (this._stage.isVisible) {
        this._stageHeight = this._stageParts(Infinity, true);
      }
      this._body.fit();
      this._fitMap();
    });
    this._fitMapObserver.observe(mapArea.node);
    this._fitMapObserver.observe(this.strip.node);
    this._fitMapObserver.observe(stage.node);
    model.joined.connect(() => {
      this._onRole();
      this._body.fit(true);
    });
    // Something new where the person is not looking: a mark on its tab.
    this._chatListener = connection.on('chat', m => {
      if (m.message.sender !== model.myId) {
        this._body.markUnread('chat', true);
      }
    });
    this.teaching.classState.changed.connect((_, state) => {
      const hands = state?.hands.length ?? 0;
      if (hands > this._hands && model.me?.role === 'instructor') {
        this._body.markUnread('teaching', true);
      }
      this._hands = hands;
    });
    layout.addWidget(bar);
    layout.addWidget(this.banner);
    layout.addWidget(this.controls);
    layout.addWidget(this._body);

    model.connection.stateChanged.connect(this._onConnection, this);
    model.roster.participantUpdated.connect(this._onHand, this);
    model.roster.reset.connect(this._onHand, this);
    this._onConnection(model.connection, model.connection.state);
    this.setPlacement('left');
  }

  readonly map: ClassroomMap;
  readonly profile: ProfileForm;
  readonly callStatus: RoomCallStatus;
  readonly controls: MediaControls;
  readonly strip: MediaStrip;
  readonly participants: ParticipantList;
  readonly chat: ChatPane;
  /** The class's state for everyone, and the instructors' controls. */
  readonly teaching: TeachingTools;

  /** The instructors' announcement, across the top of the panel. */
  readonly banner: AnnouncementBanner;

  /** How the body is arranged now (`columns`, `stacked` or `tabs`). */
  get layoutMode(): string {
    return this._body.mode;
  }

  /** Show a section: in `tabs` mode, choose its tab. */
  showSection(id: SectionId): void {
    this._body.select(id);
  }

  /** Called by the host when the panel moves between the sidebar and the main area. */
  setPlacement(where: 'main' | 'left'): void {
    this._inMain = where === 'main';
    this.toggleClass('jp-mod-main', this._inMain);
    this.node.dataset.placement = where;
    const trans = this.model.trans;
    this._move.textContent = this._inMain ? trans.__('Move to sidebar') : trans.__('Open beside notebooks');
    this._move.setAttribute(
      'aria-label',
      this._inMain
        ? trans.__('Move the classroom to the left sidebar')
        : trans.__('Open the classroom in the main area')
    );
    this._body.fit(true);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearInterval(this._countdown);
    this._fitMapObserver.disconnect();
    this._chatListener.dispose();
    super.dispose();
  }

  toggleHand(): void {
    this.model.setHand(!this.model.me?.hand);
  }

  /**
   * The map's box at the map's own aspect ratio, as wide as its column and
   * no taller than the arrangement allows, and narrower (centred) where the
   * height is what limits it (but zoomed in, as wide as its column): no
   * empty bands on any side.
   */
  private _fitMap(): void {
    const map = this.model.map;
    const width = this._mapArea.node.clientWidth;
    if (!map || !width) {
      return;
    }
    // The box's margins and border (see .jp-Classroom-map).
    const inner = Math.max(0, width - MAP_MARGIN);
    const fitted = (inner * map.height) / map.width + MAP_BORDERS;
    const max = Math.min(this._bodyMapMax(), this._columnRoom());
    const height = Math.round(Math.max(MAP_MIN_HEIGHT, Math.min(max, fitted)));
    // Zoomed in, the view has no aspect of its own: a wider box shows more of the map.
    const zoomed = this.map.zoomLevel > 1;
    const drawn = zoomed ? inner : Math.min(inner, ((height - MAP_BORDERS) * map.width) / map.height);
    const style = this.map.node.style;
    const px = `${height}px`;
    // Not rounded: the box at the map's own aspect, so that zooming in on it scales exactly.
    const wide = `${(drawn + MAP_BORDERS).toFixed(2)}px`;
    if (style.height !== px || style.width !== wide) {
      style.height = px;
      style.width = wide;
    }
  }

  private _bodyMapMax(): number {
    const max = this._body.maxMapHeight;
    return max > 0 ? max : Infinity;
  }

  /**
   * In `columns` the stage is as high as the body: the map takes what its
   * call badge, buttons, class's state and camera tiles leave (the tiles at
   * their full height, up to the share of the stage they may take), so that
   * nothing under the map is pushed out of view.
   */
  private _columnRoom(): number {
    const stage = this._stage.node;
    // With the list under it, the map is as high as its width makes it (the
    // stage is then only as high as what it holds).
    if (this._body.mode !== 'columns' || this._body.peopleUnderMap || !stage.clientHeight) {
      return Infinity;
    }
    return stage.clientHeight - MAP_MARGINS_Y - this._stageParts(stage.clientHeight * STRIP_SHARE, false);
  }

  /**
   * The height of the stage's parts shown, with their margins: the camera
   * tiles up to `stripMax`, and the map's box if `withMap` (whatever
   * height the stage itself is given).
   */
  private _stageParts(stripMax: number, withMap: boolean): number {
    let sum = 0;
    for (const child of Array.from(this._stage.node.children) as HTMLElement[]) {
      if ((!withMap && child === this._mapArea.node) || child.offsetParent === null) {
        continue;
      }
      const s = getComputedStyle(child);
      const height = child === this.strip.node ? Math.min(child.scrollHeight, stripMax) : child.offsetHeight;
      sum += height + parseFloat(s.marginTop) + parseFloat(s.marginBottom);
    }
    return sum;
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._body.fit(true);
    this.model.start();
    this.mixer.resume();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this.model.start();
    }
  }

  protected onCloseRequest(msg: Message): void {
    // Closing the tab in the main area puts the classroom back in the sidebar.
    this._place?.('left');
  }

  private _onRole(): void {
    this._body.setAvailable('teaching', this.model.me?.role === 'instructor');
  }

  private _onHand(): void {
    const hand = !!this.model.me?.hand;
    this._hand.setAttribute('aria-pressed', String(hand));
    this._hand.textContent = hand ? this.model.trans.__('Lower hand') : this.model.trans.__('Raise hand');
    this._onRole();
  }

  private _onConnection(_: unknown, state: IConnectionState): void {
    window.clearInterval(this._countdown);
    const trans = this.model.trans;
    const status = state.status;
    this._retry.hidden = status !== 'reconnecting' && status !== 'unreachable';
    this._retry.textContent = status === 'unreachable' ? trans.__('Retry') : trans.__('Reconnect now');
    this.toggleClass('jp-mod-disconnected', status !== 'connected');
    this.node.dataset.connection = status;
    if (status === 'connected') {
      this._joinedOnce = true;
    }
    // What the list shows is as it was when the connection dropped.
    const stale = this._joinedOnce && status !== 'connected' && status !== 'connecting';
    this._stale.hidden = !stale;
    this._stale.textContent =
      status === 'unreachable' || status === 'closed'
        ? trans.__('Not connected: who was here when the connection was lost.')
        : trans.__('Reconnecting: who was here when the connection dropped.');
    this.participants.toggleClass('jp-mod-stale', stale);
    const show = () => {
      let text = '';
      switch (status) {
        case 'connecting':
          text = trans.__('Joining the classroom…');
          break;
        case 'connected':
          text = trans.__('Connected');
          break;
        case 'reconnecting': {
          const left = Math.max(0, Math.ceil(((state.retryIn ?? 0) - (Date.now() - since)) / 1000));
          const reason = state.reason ?? trans.__('Disconnected.');
          text = left ? trans.__('%1 Reconnecting in %2 s…', reason, left) : trans.__('%1 Reconnecting…', reason);
          break;
        }
        case 'unreachable':
          text = trans.__("The classroom's server is not answering.");
          break;
        case 'closed':
          text = state.reason ?? trans.__('Not connected.');
          break;
      }
      this._status.textContent = text;
    };
    const since = Date.now();
    show();
    if (status === 'reconnecting' && state.retryIn) {
      this._countdown = window.setInterval(show, 1000);
    }
  }

  private _body: ClassroomBody;
  private _mapArea: Panel;
  private _stage: Panel;
  private _stripHeight = 0;
  /** The Map tab's stage's height while it can be seen (see `_stripHeight`). */
  private _stageHeight = 0;
  private _fitMapObserver: ResizeObserver;
  private _chatListener: IDisposable;
  private _stale: HTMLElement;
  private _hands = 0;
  private _joinedOnce = false;
  private _status: HTMLSpanElement;
  private _retry: HTMLButtonElement;
  private _hand: HTMLButtonElement;
  private _move: HTMLButtonElement;
  private _inMain = false;
  private _countdown = 0;
}
