import { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { ClassStateTracker, clock, FollowEnd, Follower } from '../model/teaching';
import { BreakoutMode, ClientMessage, IClassState, ILocks, ISetLocks, SummonTarget } from '../protocol';
import { IClassroom } from '../tokens';
import { el } from './dom';

type LockKind = keyof ILocks;

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

    // For everyone.
    this._timer = el('div', 'jp-Classroom-breakoutTimer');
    this._timer.setAttribute('role', 'timer');
    this._timer.setAttribute('aria-live', 'off');
    this._timer.hidden = true;
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
    this.node.append(this._timer, this._locksLine, this._followLine, this._live);

    // For instructors.
    this._tools = el('section', 'jp-Classroom-teachingTools');
    this._tools.hidden = true;
    const heading = el('h3', 'jp-Classroom-heading', trans.__('Teaching'));
    heading.id = `jp-Classroom-teaching-${Private.nextId++}`;
    this._tools.setAttribute('aria-labelledby', heading.id);
    this._tools.append(
      heading,
      this._handsGroup(),
      this._personGroup(),
      this._classGroup(),
      this._locksGroup(),
      this._roomsGroup(),
      this._breakoutGroup(),
      this._announceGroup()
    );
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
    window.clearInterval(this._tick);
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

  private _send(message: ClientMessage): void {
    this.model.connection.send(message);
  }

  private _name(id: string): string {
    return this.model.roster.get(id)?.name ?? id;
  }

  private _say(text: string): void {
    // A new node each time, so the same sentence twice is read twice.
    this._live.textContent = '';
    const line = el('div', undefined, text);
    this._live.append(line);
  }

  // -- building the instructor's groups ----------------------------------

  /** A group of controls that folds away (the sidebar is narrow): open ones are used most. */
  private _group(title: string, open: boolean): HTMLDetailsElement {
    const set = el('details', 'jp-Classroom-teachGroup') as HTMLDetailsElement;
    set.open = open;
    set.append(el('summary', undefined, title));
    return set;
  }

  private _handsGroup(): HTMLElement {
    const trans = this._trans;
    const set = this._group(trans.__('Raised hands'), true);
    this._hands = el('ol', 'jp-Classroom-hands') as HTMLOListElement;
    this._hands.setAttribute('aria-label', trans.__('Raised hands, in the order raised'));
    this._noHands = el('p', 'jp-Classroom-empty', trans.__('No hands raised.'));
    this._lowerAll = button(trans.__('Lower all hands'), () => this._send({ type: 'lower_hand' }));
    set.append(this._noHands, this._hands, this._lowerAll);
    return set;
  }

  private _personGroup(): HTMLElement {
    const trans = this._trans;
    const set = this._group(trans.__('One person'), true);
    this._person = el('select', 'jp-mod-styled jp-Classroom-person-pick') as HTMLSelectElement;
    this._person.setAttribute('aria-label', trans.__('Participant'));
    this._person.addEventListener('change', () => this._updateFloorButton());
    const who = () => this._person.value || null;
    const summon = (to: SummonTarget) => () => {
      const id = who();
      if (id) {
        this._send({ type: 'summon', to, participants: [id] });
      }
    };
    this._floor = button(trans.__('Give the floor'), () => {
      const id = who();
      if (id) {
        const on = !this.classState.state?.broadcast?.floor.includes(id);
        this._send({ type: 'give_floor', participant: id, on });
      }
    });
    set.append(
      this._person,
      row(
        button(trans.__('Mute'), () => {
          const id = who();
          if (id) {
            this._send({ type: 'mute', participant: id });
          }
        }),
        button(trans.__('Bring to the stage'), summon('stage')),
        button(trans.__('Bring to me'), summon('me')),
        this._floor,
        button(trans.__('Follow'), () => {
          const id = who();
          if (id && !this.follower.follow(id)) {
            this._say(trans.__('You cannot follow %1.', this._name(id)));
          }
        })
      )
    );
    return set;
  }

  private _classGroup(): HTMLElement {
    const trans = this._trans;
    const set = this._group(trans.__('Everyone'), true);
    this._broadcast = button(trans.__('Start broadcast'), () =>
      this._send({ type: 'broadcast', on: !this.classState.state?.broadcast })
    );
    this._broadcast.setAttribute('aria-pressed', 'false');
    set.append(
      row(
        this._broadcast,
        button(trans.__('Mute all'), () => this._send({ type: 'mute' })),
        button(trans.__('Everyone to the stage'), () => this._send({ type: 'summon', to: 'stage' })),
        button(trans.__('Everyone to me'), () => this._send({ type: 'summon', to: 'me' }))
      )
    );
    return set;
  }

  private _locksGroup(): HTMLElement {
    const trans = this._trans;
    const set = this._group(trans.__('Lock for students'), false);
    const labels: [LockKind, string][] = [
      ['mic', trans.__('Microphones')],
      ['camera', trans.__('Cameras')],
      ['screen', trans.__('Screen sharing')],
      ['chat', trans.__('Chat')]
    ];
    const buttons = labels.map(([kind, label]) => {
      const b = button(label, () => {
        const locked = !!this.classState.state?.locks[kind];
        this._send({ type: 'set_locks', [kind]: !locked } as ISetLocks);
      });
      b.dataset.lock = kind;
      b.setAttribute('aria-pressed', 'false');
      this._lockButtons.set(kind, b);
      return b;
    });
    set.append(row(...buttons));
    return set;
  }

  private _roomsGroup(): HTMLElement {
    const trans = this._trans;
    const set = this._group(trans.__('Rooms'), false);
    this._room = el('select', 'jp-mod-styled') as HTMLSelectElement;
    this._room.setAttribute('aria-label', trans.__('Room'));
    this._room.addEventListener('change', () => this._updateRoomButton());
    this._roomLock = button(trans.__('Lock room'), () => {
      const room = this._room.value;
      if (room) {
        const locked = !!this.classState.state?.locked_rooms.includes(room);
        this._send({ type: 'lock_room', room, locked: !locked });
      }
    });
    this._roomLock.setAttribute('aria-pressed', 'false');
    set.append(row(this._room, this._roomLock));
    return set;
  }

  private _breakoutGroup(): HTMLElement {
    const trans = this._trans;
    const set = this._group(trans.__('Breakouts'), false);
    this._mode = el('select', 'jp-mod-styled') as HTMLSelectElement;
    this._mode.setAttribute('aria-label', trans.__('How students get to tables'));
    for (const [value, label] of [
      ['random', trans.__('Random tables')],
      ['choose', trans.__('Students choose')]
    ]) {
      const o = el('option', undefined, label) as HTMLOptionElement;
      o.value = value;
      this._mode.append(o);
    }
    this._tables = number(trans.__('Tables'), 1, 1);
    this._tables.input.placeholder = trans.__('all');
    this._minutes = number(trans.__('Minutes'), 0.1, 0.1);
    this._minutes.input.value = '10';
    this._mode.addEventListener('change', () => {
      this._tables.label.hidden = this._mode.value !== 'random';
    });
    this._startBreakouts = button(trans.__('Start breakouts'), () => {
      const mode = this._mode.value as BreakoutMode;
      const tables = parseInt(this._tables.input.value, 10);
      const minutes = parseFloat(this._minutes.input.value);
      this._send({
        type: 'start_breakouts',
        mode,
        ...(mode === 'random' && tables > 0 ? { tables } : {}),
        ...(minutes > 0 ? { minutes } : {})
      });
    });
    this._endBreakouts = button(trans.__('End breakouts'), () => this._send({ type: 'end_breakouts' }));
    this._endBreakouts.disabled = true;
    set.append(row(this._mode, this._tables.label, this._minutes.label), row(this._startBreakouts, this._endBreakouts));
    return set;
  }

  private _announceGroup(): HTMLElement {
    const trans = this._trans;
    const set = this._group(trans.__('Announcement'), false);
    const text = el('textarea', 'jp-mod-styled jp-Classroom-announceText') as HTMLTextAreaElement;
    text.rows = 2;
    text.maxLength = 1000;
    text.setAttribute('aria-label', trans.__('Announcement for everyone'));
    text.placeholder = trans.__('A banner everyone sees');
    const post = () => {
      if (text.value.trim()) {
        this._send({ type: 'announce', text: text.value.trim() });
        text.value = '';
      }
    };
    text.addEventListener('keydown', event => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        post();
      }
    });
    this._clearAnnouncement = button(trans.__('Clear announcement'), () => this._send({ type: 'announce' }));
    set.append(text, row(button(trans.__('Announce'), post), this._clearAnnouncement));
    return set;
  }

  // -- keeping it up to date ---------------------------------------------

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
    const room = this._room.value;
    if (!this._room.options.length && this.model.map) {
      for (const r of this.model.map.rooms) {
        const o = el('option', undefined, r.name) as HTMLOptionElement;
        o.value = r.id;
        this._room.append(o);
      }
      this._room.value = room || this.model.map.rooms[0]?.id || '';
    }
    this._renderHands();
    this._updateFloorButton();
    this._updateRoomButton();
  }

  private _onState(_: unknown, state: IClassState | null): void {
    const trans = this._trans;
    const before = this._last;
    this._last = state;
    // Breakouts: the countdown for everyone, and sentences at the start, the warning and the end.
    const breakout = state?.breakout ?? null;
    const was = before?.breakout ?? null;
    if (breakout && !was) {
      this._say(
        this.classState.secondsLeft() === null
          ? trans.__('Breakouts started.')
          : trans.__('Breakouts started: %1 left.', clock(this.classState.secondsLeft()!))
      );
    } else if (!breakout && was) {
      this._say(trans.__('Breakouts ended.'));
    } else if (breakout?.warned && was && !was.warned) {
      this._say(trans.__('One minute left in the breakouts.'));
    }
    window.clearInterval(this._tick);
    this._showTimer();
    if (breakout && this.classState.secondsLeft() !== null) {
      this._tick = window.setInterval(() => this._showTimer(), 1000);
    }
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
    for (const [kind, b] of this._lockButtons) {
      b.setAttribute('aria-pressed', String(!!locks[kind]));
    }
    const live = !!state?.broadcast;
    this._broadcast.setAttribute('aria-pressed', String(live));
    this._broadcast.textContent = live ? trans.__('Stop broadcast') : trans.__('Start broadcast');
    this._endBreakouts.disabled = !breakout;
    this._clearAnnouncement.disabled = !state?.announcement;
    this._renderHands();
    this._updateFloorButton();
    this._updateRoomButton();
  }

  private _showTimer(): void {
    const trans = this._trans;
    const breakout = this._last?.breakout;
    const left = this.classState.secondsLeft();
    this._timer.hidden = !breakout;
    this._timer.classList.toggle('jp-mod-warning', !!breakout && left !== null && left <= 60);
    if (!breakout) {
      this._timer.textContent = '';
    } else if (left === null) {
      this._timer.textContent = trans.__('Breakouts: no time limit.');
    } else {
      this._timer.textContent = trans.__('Breakouts: %1 left.', clock(left));
    }
  }

  private _renderHands(): void {
    if (!this._isInstructor) {
      return;
    }
    const trans = this._trans;
    const hands = this._last?.hands ?? [];
    this._noHands.hidden = hands.length > 0;
    this._lowerAll.disabled = !hands.length;
    const focused = this._hands.contains(document.activeElement) ? (document.activeElement as HTMLElement) : null;
    const refocus = focused ? { id: focused.closest('li')?.dataset.id, action: focused.dataset.action } : null;
    this._hands.replaceChildren();
    for (const id of hands) {
      const li = el('li', 'jp-Classroom-handEntry');
      li.dataset.id = id;
      const name = this._name(id);
      const mute = button(trans.__('Mute'), () => this._send({ type: 'mute', participant: id }));
      mute.setAttribute('aria-label', trans.__('Mute %1', name));
      mute.dataset.action = 'mute';
      const lower = button(trans.__('Lower'), () => this._send({ type: 'lower_hand', participant: id }));
      lower.setAttribute('aria-label', trans.__("Lower %1's hand", name));
      lower.dataset.action = 'lower';
      li.append(el('span', 'jp-Classroom-handName', name), mute, lower);
      this._hands.append(li);
    }
    if (refocus) {
      const selector = `li[data-id="${refocus.id}"] [data-action="${refocus.action}"]`;
      const again = this._hands.querySelector<HTMLElement>(selector);
      (again ?? this._lowerAll).focus();
    }
  }

  private _updateFloorButton(): void {
    const trans = this._trans;
    const broadcast = this._last?.broadcast;
    const id = this._person.value;
    const has = !!broadcast && broadcast.floor.includes(id);
    this._floor.disabled = !broadcast || !id;
    this._floor.textContent = has ? trans.__('Take the floor back') : trans.__('Give the floor');
    this._floor.setAttribute('aria-pressed', String(has));
  }

  private _updateRoomButton(): void {
    const locked = !!this._last?.locked_rooms.includes(this._room.value);
    this._roomLock.textContent = locked ? this._trans.__('Unlock room') : this._trans.__('Lock room');
    this._roomLock.setAttribute('aria-pressed', String(locked));
    for (const o of Array.from(this._room.options)) {
      const name = this.model.room(o.value)?.name ?? o.value;
      o.textContent = this._last?.locked_rooms.includes(o.value) ? this._trans.__('%1 (locked)', name) : name;
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

  private _trans: TranslationBundle;
  private _timer: HTMLElement;
  private _locksLine: HTMLElement;
  private _followLine: HTMLElement;
  private _followText: HTMLElement;
  private _followed: string | null = null;
  private _live: HTMLElement;
  private _tools: HTMLElement;
  private _hands!: HTMLOListElement;
  private _noHands!: HTMLElement;
  private _lowerAll!: HTMLButtonElement;
  private _person!: HTMLSelectElement;
  private _floor!: HTMLButtonElement;
  private _broadcast!: HTMLButtonElement;
  private _lockButtons = new Map<LockKind, HTMLButtonElement>();
  private _room!: HTMLSelectElement;
  private _roomLock!: HTMLButtonElement;
  private _mode!: HTMLSelectElement;
  private _tables!: { label: HTMLLabelElement; input: HTMLInputElement };
  private _minutes!: { label: HTMLLabelElement; input: HTMLInputElement };
  private _startBreakouts!: HTMLButtonElement;
  private _endBreakouts!: HTMLButtonElement;
  private _clearAnnouncement!: HTMLButtonElement;
  private _last: IClassState | null = null;
  private _tick = 0;
}

function button(label: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', 'jp-Button jp-mod-styled jp-Classroom-teachButton', label) as HTMLButtonElement;
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

function row(...children: HTMLElement[]): HTMLElement {
  const r = el('div', 'jp-Classroom-teachRow');
  r.append(...children);
  return r;
}

function number(label: string, min: number, step: number): { label: HTMLLabelElement; input: HTMLInputElement } {
  const l = el('label', 'jp-Classroom-teachField', label) as HTMLLabelElement;
  const input = el('input', 'jp-mod-styled') as HTMLInputElement;
  input.type = 'number';
  input.min = String(min);
  input.step = String(step);
  l.append(input);
  return { label: l, input };
}

namespace Private {
  export let nextId = 0;
}
