/**
 * The view of `jupyter_classroom.widget.ClassroomWidget`: the classroom in a
 * notebook, live. The Python side keeps `people`, `rooms`, `state` and `role`
 * up to date; the instructor's controls are the classroom panel's own
 * (`view/teaching`), and what they send goes over the widget's comm as
 * `{message: <client message>}`, which the notebook's connection sends (and
 * the server enforces).
 */
import { DOMWidgetModel, DOMWidgetView } from '@jupyter-widgets/base';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import type { JSONObject } from '@lumino/coreutils';

import { ClientMessage, IClassState, IParticipantInfo, IRoomInfo } from '../protocol';
import { el } from '../view/dom';
import {
  Announcer,
  BreakoutPlanner,
  breakoutNews,
  ClassActions,
  Countdown,
  HandsList,
  IControlsOptions,
  LockToggles,
  PersonActions,
  RoomLock,
  row
} from '../view/teaching';

/** The npm package (and labextension) that renders the widget. */
export const MODULE_NAME = 'jupyterlab-classroom';

let trans: TranslationBundle = nullTranslator.load('jupyterlab_classroom');

/** The strings the widget shows, in the reader's language (set by the plugin). */
export function setTranslation(bundle: TranslationBundle): void {
  trans = bundle;
}

type Person = Pick<IParticipantInfo, 'id' | 'user' | 'name' | 'role' | 'room' | 'hand' | 'mic' | 'camera' | 'screen'>;

export class ClassroomWidgetModel extends DOMWidgetModel {
  defaults(): ReturnType<DOMWidgetModel['defaults']> {
    return {
      ...super.defaults(),
      _model_name: 'ClassroomWidgetModel',
      _view_name: 'ClassroomWidgetView',
      _model_module: MODULE_NAME,
      _view_module: MODULE_NAME,
      people: [],
      rooms: [],
      state: {},
      role: 'student',
      error: ''
    };
  }
}

export class ClassroomWidgetView extends DOMWidgetView {
  render(): void {
    this.el.classList.add('jp-ClassroomWidget');
    const options: IControlsOptions = (this._options = {
      trans,
      // Protocol interfaces have no index signature, so TypeScript cannot see they are JSON.
      send: (message: ClientMessage) => this.model.send({ message: message as unknown as JSONObject }, {})
    });
    this._live = el('div', 'jp-ClassroomWidget-live');
    this._live.setAttribute('role', 'status');
    this._live.setAttribute('aria-live', 'polite');
    this._summary = el('p', 'jp-ClassroomWidget-summary');
    this._error = el('p', 'jp-ClassroomWidget-error');
    this._error.setAttribute('role', 'alert');
    this._countdown = new Countdown(trans);
    this._announcement = el('p', 'jp-ClassroomWidget-announcement');
    this._banner = el('p', 'jp-ClassroomWidget-live-banner');
    this._hands = new HandsList(options);
    this._roster = el('table', 'jp-ClassroomWidget-roster') as HTMLTableElement;
    this._rooms = el('ul', 'jp-ClassroomWidget-rooms');
    this._classActions = new ClassActions(options);
    this._locks = new LockToggles(options);
    this._announcer = new Announcer(options);
    this._planner = new BreakoutPlanner(options);
    this._controls = el('div', 'jp-ClassroomWidget-controls');
    this._controls.append(
      el('h4', undefined, trans.__('Everyone')),
      this._classActions.node,
      row(el('span', undefined, trans.__('Lock for students:')), this._locks.node),
      this._announcer.node,
      el('h4', undefined, trans.__('Breakouts')),
      this._planner.node
    );
    this.el.append(
      this._live,
      this._summary,
      this._error,
      this._countdown.node,
      this._announcement,
      this._banner,
      el('h4', undefined, trans.__('Raised hands')),
      this._hands.node,
      el('h4', undefined, trans.__('People')),
      this._roster,
      el('h4', undefined, trans.__('Rooms')),
      this._rooms,
      this._controls
    );
    this.listenTo(this.model, 'change:people change:rooms change:role change:error', () => this._draw());
    this.listenTo(this.model, 'change:state', () => this._onState());
    this._onState();
  }

  remove(): void {
    this._countdown.dispose();
    return super.remove();
  }

  private get _state(): IClassState {
    return (this.model.get('state') || {}) as IClassState;
  }

  private _onState(): void {
    const state = this._state;
    const left = state.breakout?.seconds_left;
    const endsAt = left === null || left === undefined ? null : Date.now() + left * 1000;
    const secondsLeft = () => (endsAt === null ? null : Math.max(0, (endsAt - Date.now()) / 1000));
    const news = breakoutNews(trans, this._last, state, secondsLeft());
    this._last = state;
    if (news) {
      this._live.textContent = news;
    }
    this._countdown.update(state, secondsLeft);
    this._classActions.update(state);
    this._locks.update(state);
    this._announcer.update(state);
    this._planner.update(state);
    this._draw();
  }

  /** What changes with the people: redrawn whole, the focused button found again by its person and action. */
  private _draw(): void {
    const state = this._state;
    const people = (this.model.get('people') || []) as Person[];
    const rooms = (this.model.get('rooms') || []) as IRoomInfo[];
    const teacher = this.model.get('role') === 'instructor';
    const byId = new Map(people.map(p => [p.id, p]));
    const roomName = (id: string | null | undefined) => rooms.find(r => r.id === id)?.name ?? trans.__('Open floor');
    const hands = (state.hands || []).filter(id => byId.has(id));

    this._summary.textContent =
      trans._n('%1 person here', '%1 people here', people.length) +
      ' · ' +
      trans._n('%1 hand raised', '%1 hands raised', hands.length);
    const error = this.model.get('error') as string;
    this._error.hidden = !error;
    this._error.textContent = error;
    this._announcement.hidden = !state.announcement;
    this._announcement.textContent = state.announcement ? trans.__('Announcement: %1', state.announcement.text) : '';
    this._banner.hidden = !state.broadcast;
    this._banner.textContent = state.broadcast
      ? trans.__(
          'LIVE: %1 is speaking to the whole classroom.',
          byId.get(state.broadcast.by)?.name ?? trans.__('An instructor')
        )
      : '';
    this._hands.update(
      hands,
      teacher,
      id => byId.get(id)!.name,
      id => `${byId.get(id)!.name} (${roomName(byId.get(id)!.room)})`
    );
    this._controls.hidden = !teacher;

    const active = document.activeElement as HTMLElement | null;
    const focus =
      active && (this._roster.contains(active) || this._rooms.contains(active))
        ? { key: active.closest<HTMLElement>('[data-key]')?.dataset.key, action: active.dataset.action }
        : null;
    this._drawRoster(people, roomName, state, teacher);
    this._drawRooms(rooms, people, state, teacher);
    if (focus?.key) {
      const holder = Array.from(this.el.querySelectorAll<HTMLElement>('[data-key]')).find(
        e => e.dataset.key === focus.key
      );
      holder?.querySelector<HTMLElement>(`[data-action="${focus.action}"]`)?.focus();
    }
  }

  private _drawRoster(
    people: Person[],
    roomName: (id: string | null | undefined) => string,
    state: IClassState,
    teacher: boolean
  ): void {
    const head = el('tr');
    for (const h of [trans.__('Name'), trans.__('Where'), trans.__('Hand'), trans.__('Microphone')]) {
      head.append(el('th', undefined, h));
    }
    if (teacher) {
      head.append(el('th', undefined, trans.__('Actions')));
    }
    this._roster.replaceChildren(head);
    for (const p of people) {
      const tr = el('tr');
      tr.dataset.id = p.id;
      tr.dataset.key = `person:${p.id}`;
      tr.append(
        el('td', undefined, p.role === 'instructor' ? trans.__('%1 (instructor)', p.name) : p.name),
        el('td', undefined, roomName(p.room)),
        el('td', undefined, p.hand ? trans.__('raised') : ''),
        el('td', undefined, p.mic ? trans.__('on') : trans.__('off'))
      );
      if (teacher) {
        const actions = new PersonActions(this._options, { id: p.id, name: p.name });
        actions.update(state);
        const td = el('td', 'jp-ClassroomWidget-actions');
        td.append(...actions.buttons);
        tr.append(td);
      }
      this._roster.append(tr);
    }
  }

  private _drawRooms(rooms: IRoomInfo[], people: Person[], state: IClassState, teacher: boolean): void {
    const locked = new Set(state.locked_rooms ?? []);
    this._rooms.replaceChildren();
    for (const r of rooms) {
      const inside = people.filter(p => p.room === r.id).map(p => p.name);
      const li = el('li');
      li.dataset.room = r.id;
      li.dataset.key = `room:${r.id}`;
      const text = inside.length ? trans.__('%1: %2', r.name, inside.join(', ')) : trans.__('%1: empty', r.name);
      li.append(el('span', undefined, locked.has(r.id) ? trans.__('%1 (locked)', text) : text));
      if (teacher) {
        const lock = new RoomLock(this._options, { id: r.id, name: r.name });
        lock.update(state);
        lock.node.dataset.action = 'lock';
        li.append(lock.node);
      }
      this._rooms.append(li);
    }
  }

  private _options!: IControlsOptions;
  private _live!: HTMLElement;
  private _summary!: HTMLElement;
  private _error!: HTMLElement;
  private _countdown!: Countdown;
  private _announcement!: HTMLElement;
  private _banner!: HTMLElement;
  private _hands!: HandsList;
  private _roster!: HTMLTableElement;
  private _rooms!: HTMLElement;
  private _controls!: HTMLElement;
  private _classActions!: ClassActions;
  private _locks!: LockToggles;
  private _announcer!: Announcer;
  private _planner!: BreakoutPlanner;
  private _last: IClassState | null = null;
}
