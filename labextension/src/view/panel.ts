import { LabIcon } from '@jupyterlab/ui-components';
import { Message, MessageLoop } from '@lumino/messaging';
import { Panel, PanelLayout, SplitPanel, Widget } from '@lumino/widgets';

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

export const classroomIcon = new LabIcon({ name: 'jupyterlab-classroom:classroom', svgstr: classroomSvg });

/**
 * The Classroom panel: status bar, map, participant list and chat.
 * Joins the classroom the first time it is shown.
 */
export class ClassroomPanel extends Widget {
  constructor(
    readonly model: IClassroom,
    readonly media: LocalMedia,
    readonly mixer: AudioMixer,
    readonly peers: IPeers,
    readonly room: IRoomConnection,
    readonly socket: SocketMedia,
    private readonly _place: (where: 'main' | 'left') => void,
    showScreen: (pid: string) => void
  ) {
    super();
    const trans = model.trans;
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
    this._move.addEventListener('click', () => this._place(this._inMain ? 'left' : 'main'));
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

    this.controls = new MediaControls(model, media, mixer, room);
    this.strip = new MediaStrip(model, media, peers, room, showScreen);
    this.map = new ClassroomMap(model);
    this.map.decorations = {
      level: pid => (pid === model.myId ? mixer.localLevel(media.micTrack) : mixer.level(pid)),
      camera: pid => this.strip.cameraOf(pid),
      talk: on => this.controls.talk(on)
    };
    model.joined.connect(() => void this.controls.start());
    this.node.addEventListener('pointerdown', () => mixer.resume());
    this.node.addEventListener('keydown', () => mixer.resume());
    this.callStatus = new RoomCallStatus(model, room);
    const side = new Panel();
    side.addClass('jp-Classroom-side');
    this.participants = new ParticipantList(model, mixer, peers, room, user => {
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
    side.addWidget(this.teaching);
    side.addWidget(this.participants);
    side.addWidget(this.chat);
    // The map and the rest share the panel with a handle between them: the
    // map above in the sidebar, on the left in the main area.
    const body = new SplitPanel({ orientation: 'vertical', spacing: 4 });
    body.addClass('jp-Classroom-body');
    const stage = new Panel();
    stage.addClass('jp-Classroom-stage');
    // The view's buttons sit over the map's corner, after it in the
    // keyboard's order.
    const mapArea = new Panel();
    mapArea.addClass('jp-Classroom-mapArea');
    mapArea.addWidget(this.map);
    mapArea.addWidget(new MapControls(this.map));
    stage.addWidget(this.callStatus);
    stage.addWidget(new TransportStatus(model, socket));
    stage.addWidget(mapArea);
    stage.addWidget(this.strip);
    body.addWidget(stage);
    body.addWidget(side);
    this._body = body;
    // The rows above the body change height (an error, a wrapped toolbar)
    // without telling Lumino: lay the split out again whenever its size does.
    this._bodyResize = new ResizeObserver(() => {
      if (body.isAttached) {
        MessageLoop.sendMessage(body, Widget.ResizeMessage.UnknownSize);
        this._fitSplitToMap();
      }
    });
    this._stage = stage;
    model.joined.connect(() => this._fitSplitToMap());
    this._bodyResize.observe(body.node);
    // Cameras coming and going change what the map has around it.
    this._bodyResize.observe(this.strip.node);
    body.handleMoved.connect(() => {
      this._splitByHand = true;
    });
    layout.addWidget(bar);
    layout.addWidget(this.controls);
    layout.addWidget(body);

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

  /** Called by the plugin when the panel moves between the sidebar and the main area. */
  setPlacement(where: 'main' | 'left'): void {
    this._inMain = where === 'main';
    this.toggleClass('jp-mod-main', this._inMain);
    this.node.dataset.placement = where;
    this._body.orientation = this._inMain ? 'horizontal' : 'vertical';
    this._body.setRelativeSizes(this._inMain ? [2, 1] : [3, 2]);
    this._splitByHand = false;
    this._fitSplitToMap();
    const trans = this.model.trans;
    this._move.textContent = this._inMain ? trans.__('Move to sidebar') : trans.__('Open beside notebooks');
    this._move.setAttribute(
      'aria-label',
      this._inMain
        ? trans.__('Move the classroom to the left sidebar')
        : trans.__('Open the classroom in the main area')
    );
  }

  dispose(): void {
    this._bodyResize.disconnect();
    super.dispose();
  }

  toggleHand(): void {
    this.model.setHand(!this.model.me?.hand);
  }

  /**
   * In the sidebar, give the map about the height the whole map takes at the
   * sidebar's width (between a third and two thirds of the panel), as the
   * sidebar is resized, until the reader moves the handle: then it is theirs.
   */
  private _fitSplitToMap(): void {
    const map = this.model.map;
    const body = this._body;
    if (this._inMain || this._splitByHand || !map || !body.isVisible) {
      return;
    }
    const total = body.node.clientHeight;
    const width = this.map.node.clientWidth;
    if (!total || !width) {
      return;
    }
    // The stage's other parts (the strip, margins) keep their height.
    const around = this._stage.node.clientHeight - this.map.node.clientHeight;
    const wanted = (width * map.height) / map.width + Math.max(0, around);
    const stage = Math.min((2 / 3) * total, Math.max(total / 3, wanted));
    const [now] = body.relativeSizes();
    if (Math.abs(now * total - stage) > 2) {
      body.setRelativeSizes([stage, total - stage]);
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._fitSplitToMap();
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
    this._place('left');
  }

  private _onHand(): void {
    const hand = !!this.model.me?.hand;
    this._hand.setAttribute('aria-pressed', String(hand));
    this._hand.textContent = hand ? this.model.trans.__('Lower hand') : this.model.trans.__('Raise hand');
  }

  private _onConnection(_: unknown, state: IConnectionState): void {
    window.clearInterval(this._countdown);
    this._retry.hidden = state.status !== 'reconnecting';
    this.toggleClass('jp-mod-disconnected', state.status !== 'connected');
    const trans = this.model.trans;
    const show = () => {
      let text = '';
      switch (state.status) {
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
        case 'closed':
          text = state.reason ?? trans.__('Not connected.');
          break;
      }
      this._status.textContent = text;
    };
    const since = Date.now();
    show();
    if (state.status === 'reconnecting' && state.retryIn) {
      this._countdown = window.setInterval(show, 1000);
    }
  }

  private _body: SplitPanel;
  private _stage: Panel;
  private _splitByHand = false;
  private _bodyResize: ResizeObserver;
  private _status: HTMLSpanElement;
  private _retry: HTMLButtonElement;
  private _hand: HTMLButtonElement;
  private _move: HTMLButtonElement;
  private _inMain = false;
  private _countdown = 0;
}
