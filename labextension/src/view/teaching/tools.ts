import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { ClassStateTracker, FollowEnd, Follower } from '../../model/teaching';
import { ClientMessage, IClassState } from '../../protocol';
import { IClassroom } from '../../tokens';
import { el } from '../dom';
import { Announcer } from './announce';
import { BreakoutPlanner, breakoutNews, Countdown } from './breakouts';
import { button, IControlsOptions, row, Trans } from './controls';
import { ClassActions, LockToggles } from './everyone';
import { HandsList } from './hands';
import { inviteButton } from './invitedialog';
import { PersonActions } from './person';
import { RoomPicker } from './rooms';

/** Headings get ids of their own: a panel may be built more than once in a page. */
let nextHeadingId = 0;

/**
 * The class as the instructors set it, for everyone: the breakout countdown,
 * what is locked, whom we follow. For instructors, the controls: the hands
 * queue, a person's and the class's powers, locks, the broadcast, rooms,
 * breakouts and the announcement. The server enforces every power; students
 * are never shown the controls.
 */
export class TeachingTools extends Widget {
  constructor(readonly model: IClassroom) {
    super();
    this.addClass('jp-Classroom-teaching');
    const trans = (this._trans = model.trans);
    this.classState = new ClassStateTracker(model.connection);
    this.follower = new Follower(model.avatar, model.roster, this.classState);
    const options: IControlsOptions = { trans, send: (m: ClientMessage) => model.connection.send(m) };

    // For everyone.
    this._countdown = new Countdown(trans);
    this._locksLine = el('div', 'jp-Classroom-locksLine');
    this._locksLine.hidden = true;
    this._followLine = el('div', 'jp-Classroom-followLine');
    this._followLine.hidden = true;
    this._followText = el('span');
    const unfollow = button(trans.__('Stop following'), () => this.follower.stop());
    this._followLine.append(this._followText, unfollow);
    this._live = el('div', 'jp-Classroom-teachingLive');
    this._live.setAttribute('role', 'status');
    this._live.setAttribute('aria-live', 'polite');
    // The class's state, for everyone: the panel shows it under the map.
    this.status = el('div', 'jp-Classroom-classStatus');
    this.status.append(this._countdown.node, this._locksLine, this._followLine, this._live);
    this.node.append(this.status);

    // For instructors.
    this._hands = new HandsList(options);
    this._person = el('select', 'jp-mod-styled jp-Classroom-person-pick') as HTMLSelectElement;
    this._person.setAttribute('aria-label', trans.__('Participant'));
    this._person.addEventListener('change', () => this._personActions.update(this._last));
    this._personActions = new PersonActions(options, () => this._person.value || null);
    const follow = button(trans.__('Follow'), () => {
      const id = this._person.value;
      if (id && !this.follower.follow(id)) {
        this._say(trans.__('You cannot follow %1.', this._name(id)));
      }
    });
    this._classActions = new ClassActions(options);
    this._locks = new LockToggles(options);
    this._rooms = new RoomPicker(options);
    this._planner = new BreakoutPlanner(options);
    this._announcer = new Announcer(options);

    this._tools = el('section', 'jp-Classroom-teachingTools');
    this._tools.hidden = true;
    const heading = el('h3', 'jp-Classroom-heading', trans.__('Teaching'));
    heading.id = `jp-Classroom-teaching-${nextHeadingId++}`;
    this._tools.setAttribute('aria-labelledby', heading.id);
    this._tools.append(
      heading,
      this._group(trans.__('Raised hands'), true, this._hands.node),
      this._group(trans.__('One person'), true, this._person, row(...this._personActions.buttons, follow)),
      this._group(trans.__('Everyone'), true, this._classActions.node),
      this._group(trans.__('Lock for students'), false, this._locks.node),
      this._group(trans.__('Rooms'), false, this._rooms.node),
      this._group(trans.__('Breakouts'), false, this._planner.node),
      this._group(trans.__('Announcement'), false, this._announcer.node)
    );
    this._tools.append(inviteButton(model));
    this.node.append(this._tools);

    this.classState.changed.connect(this._onState, this);
    model.roster.reset.connect(this._onRoster, this);
    model.roster.participantJoined.connect(this._onRoster, this);
    model.roster.participantLeft.connect(this._onRoster, this);
    model.roster.participantUpdated.connect((_, { participant, previous }) => {
      const p = participant;
      if (p.name !== previous.name || p.role !== previous.role || p.hand !== previous.hand) {
        this._onRoster();
      }
    }, this);
    model.joined.connect(this._onRoster, this);
    this.follower.changed.connect((_, { target, reason }) => this._onFollow(target, reason), this);
  }

  readonly classState: ClassStateTracker;
  readonly follower: Follower;
  /** The breakout's countdown, the locks and whom we follow (a host may place it elsewhere). */
  readonly status: HTMLElement;

  handleEvent(event: Event): void {
    // Escape anywhere in the classroom panel stops following.
    const panel = this.node.closest('.jp-Classroom-panel');
    if (
      event.type === 'keydown' &&
      (event as KeyboardEvent).key === 'Escape' &&
      this.follower.target &&
      panel?.contains(event.target as Node)
    ) {
      this.follower.stop();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._countdown.dispose();
    this.follower.dispose();
    this.classState.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    document.addEventListener('keydown', this);
  }

  protected onBeforeDetach(msg: Message): void {
    document.removeEventListener('keydown', this);
    super.onBeforeDetach(msg);
  }

  private get _isInstructor(): boolean {
    return this.model.me?.role === 'instructor';
  }

  private _name(id: string): string {
    return this.model.roster.get(id)?.name ?? id;
  }

  private _say(text: string): void {
    // A new node each time, so the same sentence twice is read twice.
    this._live.textContent = '';
    this._live.append(el('div', undefined, text));
  }

  /** A group of controls that folds away (the sidebar is narrow): open ones are used most. */
  private _group(title: string, open: boolean, ...children: HTMLElement[]): HTMLDetailsElement {
    const set = el('details', 'jp-Classroom-teachGroup') as HTMLDetailsElement;
    set.open = open;
    set.append(el('summary', undefined, title), ...children);
    return set;
  }

  private _onRoster(): void {
    this._tools.hidden = !this._isInstructor;
    if (!this._isInstructor) {
      return;
    }
    const roster = this.model.roster;
    const chosen = this._person.value;
    this._person.replaceChildren();
    const people = [...roster.participants.values()]
      .filter(p => p.id !== roster.myId)
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const p of people) {
      const label = p.role === 'instructor' ? this._trans.__('%1 (instructor)', p.name) : p.name;
      const o = el('option', undefined, label) as HTMLOptionElement;
      o.value = p.id;
      this._person.append(o);
    }
    if (people.some(p => p.id === chosen)) {
      this._person.value = chosen;
    }
    if (!this._rooms.hasRooms && this.model.map) {
      this._rooms.setRooms(this.model.map.rooms);
    }
    this._hands.update(this._last?.hands ?? [], true, id => this._name(id));
    this._personActions.update(this._last);
  }

  private _onState(_: unknown, state: IClassState | null): void {
    const trans = this._trans;
    const before = this._last;
    this._last = state;
    const news = breakoutNews(trans, before, state, this.classState.secondsLeft());
    if (news) {
      this._say(news);
    }
    this._countdown.update(state, () => this.classState.secondsLeft());
    // What is locked, for everyone.
    const locks = state?.locks ?? {};
    const names: string[] = [];
    if (locks.mic) {
      names.push(trans.__('microphones'));
    }
    if (locks.camera) {
      names.push(trans.__('cameras'));
    }
    if (locks.screen) {
      names.push(trans.__('screen sharing'));
    }
    if (locks.chat) {
      names.push(trans.__('chat'));
    }
    this._locksLine.hidden = !names.length;
    this._locksLine.textContent = names.length ? trans.__('Locked for students: %1.', names.join(', ')) : '';
    // The instructor's controls show the state they change.
    this._classActions.update(state);
    this._locks.update(state);
    this._rooms.update(state);
    this._planner.update(state);
    this._announcer.update(state);
    this._personActions.update(state);
    if (this._isInstructor) {
      this._hands.update(state?.hands ?? [], true, id => this._name(id));
    }
  }

  private _onFollow(target: string | null, reason?: FollowEnd): void {
    const trans = this._trans;
    this._followLine.hidden = target === null;
    if (target !== null) {
      const name = this._name(target);
      this._followText.textContent = trans.__('Following %1 (Escape stops).', name);
      this._followed = name;
      this._say(trans.__('You are following %1.', name));
      return;
    }
    const name = this._followed ?? '';
    this._followText.textContent = '';
    switch (reason) {
      case 'left':
        this._say(trans.__('%1 left: you stopped following.', name));
        break;
      case 'room':
        this._say(trans.__('%1 went where you may not: you stopped following.', name));
        break;
      default:
        this._say(trans.__('You stopped following %1.', name));
    }
  }

  private _trans: Trans;
  private _countdown: Countdown;
  private _locksLine: HTMLElement;
  private _followLine: HTMLElement;
  private _followText: HTMLElement;
  private _followed: string | null = null;
  private _live: HTMLElement;
  private _tools: HTMLElement;
  private _hands: HandsList;
  private _person: HTMLSelectElement;
  private _personActions: PersonActions;
  private _classActions: ClassActions;
  private _locks: LockToggles;
  private _rooms: RoomPicker;
  private _planner: BreakoutPlanner;
  private _announcer: Announcer;
  private _last: IClassState | null = null;
}
