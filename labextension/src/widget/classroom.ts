/**
 * The view of `jupyter_classroom.widget.ClassroomWidget`: the classroom in a
 * notebook, live. The Python side keeps `people`, `rooms`, `state` and `role`
 * up to date; the buttons send `{action, ...}` over the widget's comm, where
 * the notebook API runs them (and the server enforces them).
 */
import { DOMWidgetModel, DOMWidgetView } from '@jupyter-widgets/base';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';

import { clock } from '../model/teaching';
import { IClassState, IParticipantInfo, IRoomInfo } from '../protocol';
import { el } from '../view/dom';

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
    this._live = document.createElement('div');
    this._live.className = 'jp-ClassroomWidget-live';
    this._live.setAttribute('role', 'status');
    this._live.setAttribute('aria-live', 'polite');
    this._body = document.createElement('div');
    this.el.append(this._live, this._body);
    this.listenTo(this.model, 'change:people change:rooms change:role change:error', () => this._draw());
    this.listenTo(this.model, 'change:state', () => this._onState());
    this._onState();
  }

  remove(): void {
    window.clearInterval(this._tick);
    return super.remove();
  }

  private get _state(): IClassState {
    return (this.model.get('state') || {}) as IClassState;
  }

  private get _teacher(): boolean {
    return this.model.get('role') === 'instructor';
  }

  private _act(action: string, fields: Record<string, unknown> = {}): void {
    this.model.send({ action, ...fields }, {});
  }

  private _onState(): void {
    const state = this._state;
    const left = state.breakout?.seconds_left;
    const had = this._hadBreakout;
    this._hadBreakout = !!state.breakout;
    this._endsAt = left === null || left === undefined ? null : Date.now() + left * 1000;
    window.clearInterval(this._tick);
    if (this._endsAt !== null) {
      this._tick = window.setInterval(() => this._showTimer(), 1000);
    }
    if (state.breakout && !had) {
      this._live.textContent = trans.__('Breakouts started.');
    } else if (!state.breakout && had) {
      this._live.textContent = trans.__('Breakouts ended.');
    }
    this._draw();
  }

  private _showTimer(): void {
    const timer = this.el.querySelector('.jp-ClassroomWidget-timer');
    if (timer && this._state.breakout) {
      timer.textContent =
        this._endsAt === null
          ? trans.__('Breakouts: no time limit.')
          : trans.__('Breakouts: %1 left.', clock((this._endsAt - Date.now()) / 1000));
    }
  }

  private _draw(): void {
    // Redrawn whole; the focused control is found again by its key.
    const active = document.activeElement as HTMLElement | null;
    const key = active && this.el.contains(active) ? active.dataset.key : undefined;
    const inputs = new Map<string, string>();
    this._body.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>('[data-key]').forEach(e => {
      if ('value' in e && e.tagName !== 'BUTTON') {
        inputs.set(e.dataset.key!, e.value);
      }
    });
    this._body.replaceChildren(...this._parts());
    this._body.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>('[data-key]').forEach(e => {
      const v = inputs.get(e.dataset.key!);
      if (v !== undefined && e.tagName !== 'BUTTON') {
        e.value = v;
      }
    });
    this._showTimer();
    if (key) {
      this._body.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`)?.focus();
    }
  }

  private _parts(): HTMLElement[] {
    const state = this._state;
    const people = (this.model.get('people') || []) as Person[];
    const rooms = (this.model.get('rooms') || []) as IRoomInfo[];
    const byId = new Map(people.map(p => [p.id, p]));
    const roomName = (id: string | null | undefined) => rooms.find(r => r.id === id)?.name ?? trans.__('Open floor');
    const hands = (state.hands || []).filter(id => byId.has(id));
    const teacher = this._teacher;
    const parts: HTMLElement[] = [];

    const summary = el('p', 'jp-ClassroomWidget-summary');
    summary.textContent =
      trans._n('%1 person here', '%1 people here', people.length) +
      ' · ' +
      trans._n('%1 hand raised', '%1 hands raised', hands.length);
    parts.push(summary);
    const error = this.model.get('error') as string;
    if (error) {
      const alert = el('p', 'jp-ClassroomWidget-error', error);
      alert.setAttribute('role', 'alert');
      parts.push(alert);
    }
    if (state.breakout) {
      const timer = el('p', 'jp-ClassroomWidget-timer');
      timer.setAttribute('role', 'timer');
      parts.push(timer);
    }
    if (state.announcement) {
      parts.push(el('p', 'jp-ClassroomWidget-announcement', trans.__('Announcement: %1', state.announcement.text)));
    }
    if (state.broadcast) {
      const by = byId.get(state.broadcast.by)?.name ?? trans.__('An instructor');
      const banner = trans.__('LIVE: %1 is speaking to the whole classroom.', by);
      parts.push(el('p', 'jp-ClassroomWidget-live-banner', banner));
    }

    // Raised hands, in order.
    parts.push(el('h4', undefined, trans.__('Raised hands')));
    if (!hands.length) {
      parts.push(el('p', 'jp-ClassroomWidget-empty', trans.__('No hands raised.')));
    } else {
      const ol = el('ol', 'jp-ClassroomWidget-hands');
      for (const id of hands) {
        const p = byId.get(id)!;
        const li = el('li');
        li.dataset.id = id;
        li.append(el('span', undefined, `${p.name} (${roomName(p.room)})`));
        if (teacher) {
          li.append(
            button(
              trans.__('Lower'),
              `lower:${id}`,
              () => this._act('lower_hand', { who: id }),
              trans.__("Lower %1's hand", p.name)
            ),
            button(trans.__('Mute'), `hmute:${id}`, () => this._act('mute', { who: id }), trans.__('Mute %1', p.name))
          );
        }
        ol.append(li);
      }
      parts.push(ol);
    }

    // Everyone, with where they are.
    parts.push(el('h4', undefined, trans.__('People')));
    const table = el('table', 'jp-ClassroomWidget-roster') as HTMLTableElement;
    const head = el('tr');
    for (const h of [trans.__('Name'), trans.__('Where'), trans.__('Hand'), trans.__('Microphone')]) {
      head.append(el('th', undefined, h));
    }
    if (teacher) {
      head.append(el('th', undefined, trans.__('Actions')));
    }
    table.append(head);
    const floor = new Set(state.broadcast?.floor ?? []);
    for (const p of people) {
      const tr = el('tr');
      tr.dataset.id = p.id;
      tr.append(
        el('td', undefined, p.role === 'instructor' ? trans.__('%1 (instructor)', p.name) : p.name),
        el('td', undefined, roomName(p.room)),
        el('td', undefined, p.hand ? trans.__('raised') : ''),
        el('td', undefined, p.mic ? trans.__('on') : trans.__('off'))
      );
      if (teacher) {
        const td = el('td', 'jp-ClassroomWidget-actions');
        td.append(
          button(trans.__('Mute'), `mute:${p.id}`, () => this._act('mute', { who: p.id }), trans.__('Mute %1', p.name)),
          button(
            trans.__('To the stage'),
            `stage:${p.id}`,
            () => this._act('summon', { who: p.id, to: 'stage' }),
            trans.__('Bring %1 to the stage', p.name)
          ),
          button(
            trans.__('To me'),
            `me:${p.id}`,
            () => this._act('summon', { who: p.id, to: 'me' }),
            trans.__('Bring %1 to me', p.name)
          )
        );
        if (state.broadcast) {
          const has = floor.has(p.id);
          const b = button(
            has ? trans.__('Take the floor back') : trans.__('Give the floor'),
            `floor:${p.id}`,
            () => this._act('give_floor', { who: p.id, on: !has }),
            has ? trans.__('Take the floor back from %1', p.name) : trans.__('Give the floor to %1', p.name)
          );
          td.append(b);
        }
        tr.append(td);
      }
      table.append(tr);
    }
    parts.push(table);

    // Rooms: who is in them, locked or not.
    parts.push(el('h4', undefined, trans.__('Rooms')));
    const roomList = el('ul', 'jp-ClassroomWidget-rooms');
    const locked = new Set(state.locked_rooms ?? []);
    for (const r of rooms) {
      const inside = people.filter(p => p.room === r.id).map(p => p.name);
      const li = el('li');
      li.dataset.room = r.id;
      const text = inside.length ? trans.__('%1: %2', r.name, inside.join(', ')) : trans.__('%1: empty', r.name);
      li.append(el('span', undefined, locked.has(r.id) ? trans.__('%1 (locked)', text) : text));
      if (teacher) {
        const isLocked = locked.has(r.id);
        const b = button(
          isLocked ? trans.__('Unlock') : trans.__('Lock'),
          `room:${r.id}`,
          () => this._act('lock_room', { room: r.id, locked: !isLocked }),
          isLocked ? trans.__('Unlock %1', r.name) : trans.__('Lock %1', r.name)
        );
        b.setAttribute('aria-pressed', String(isLocked));
        li.append(b);
      }
      roomList.append(li);
    }
    parts.push(roomList);

    if (teacher) {
      parts.push(...this._controls(state));
    }
    return parts;
  }

  private _controls(state: IClassState): HTMLElement[] {
    const parts: HTMLElement[] = [];
    parts.push(el('h4', undefined, trans.__('Everyone')));
    const live = !!state.broadcast;
    const broadcast = button(live ? trans.__('Stop broadcast') : trans.__('Start broadcast'), 'broadcast', () =>
      this._act('broadcast', { on: !live })
    );
    broadcast.setAttribute('aria-pressed', String(live));
    parts.push(
      row(
        broadcast,
        button(trans.__('Mute all'), 'mute_all', () => this._act('mute_all')),
        button(trans.__('Lower all hands'), 'lower_hands', () => this._act('lower_hands')),
        button(trans.__('Everyone to the stage'), 'summon_all', () => this._act('summon', { to: 'stage' })),
        button(trans.__('Everyone to me'), 'summon_me', () => this._act('summon', { to: 'me' }))
      )
    );
    const locks = state.locks ?? {};
    const lockRow = row(el('span', undefined, trans.__('Lock for students:')));
    for (const [what, label] of [
      ['mic', trans.__('Microphones')],
      ['camera', trans.__('Cameras')],
      ['screen', trans.__('Screen sharing')],
      ['chat', trans.__('Chat')]
    ] as const) {
      const on = !!locks[what];
      const b = button(label, `lock:${what}`, () => this._act('lock', { what, locked: !on }));
      b.setAttribute('aria-pressed', String(on));
      lockRow.append(b);
    }
    parts.push(lockRow);

    // The announcement.
    const text = el('input', 'jp-ClassroomWidget-announce') as HTMLInputElement;
    text.type = 'text';
    text.dataset.key = 'announce-text';
    text.maxLength = 1000;
    text.setAttribute('aria-label', trans.__('Announcement for everyone'));
    const announce = () => {
      if (text.value.trim()) {
        this._act('announce', { text: text.value.trim() });
        text.value = '';
      }
    };
    text.addEventListener('keydown', e => {
      if (e.key === 'Enter') {
        e.preventDefault();
        announce();
      }
    });
    parts.push(
      row(
        text,
        button(trans.__('Announce'), 'announce', announce),
        button(trans.__('Clear announcement'), 'unannounce', () => this._act('announce', { text: null }))
      )
    );

    // The breakout planner.
    parts.push(el('h4', undefined, trans.__('Breakouts')));
    const mode = el('select') as HTMLSelectElement;
    mode.dataset.key = 'bo-mode';
    mode.setAttribute('aria-label', trans.__('How students get to tables'));
    for (const [value, label] of [
      ['random', trans.__('Random tables')],
      ['groups', trans.__('These groups')],
      ['choose', trans.__('Students choose')]
    ]) {
      const o = el('option', undefined, label) as HTMLOptionElement;
      o.value = value;
      mode.append(o);
    }
    const tables = field(trans.__('Tables'), 'bo-tables', 'number');
    const minutes = field(trans.__('Minutes'), 'bo-minutes', 'number');
    minutes.input.step = '0.1';
    minutes.input.min = '0.1';
    tables.input.min = '1';
    const groups = el('textarea', 'jp-ClassroomWidget-groups') as HTMLTextAreaElement;
    groups.dataset.key = 'bo-groups';
    groups.rows = 3;
    groups.setAttribute('aria-label', trans.__('Groups: one line per table, usernames separated by commas'));
    groups.placeholder = trans.__('ann, ben\ncat, dan');
    const start = button(trans.__('Start breakouts'), 'bo-start', () => {
      this._act('breakouts', {
        mode: mode.value,
        tables: parseInt(tables.input.value, 10) || null,
        minutes: parseFloat(minutes.input.value) || null,
        groups: groups.value
          .split('\n')
          .map(line => line.split(/[,\s]+/).filter(Boolean))
          .filter(g => g.length)
      });
    });
    const end = button(trans.__('End breakouts'), 'bo-end', () => this._act('end_breakouts'));
    end.disabled = !state.breakout;
    parts.push(row(mode, tables.label, minutes.label), groups, row(start, end));
    return parts;
  }

  private _live!: HTMLElement;
  private _body!: HTMLElement;
  private _endsAt: number | null = null;
  private _hadBreakout = false;
  private _tick = 0;
}

function button(label: string, key: string, onClick: () => void, ariaLabel?: string): HTMLButtonElement {
  const b = el('button', 'jupyter-button jp-ClassroomWidget-button', label) as HTMLButtonElement;
  b.type = 'button';
  b.dataset.key = key;
  if (ariaLabel) {
    b.setAttribute('aria-label', ariaLabel);
  }
  b.addEventListener('click', onClick);
  return b;
}

function row(...children: HTMLElement[]): HTMLElement {
  const r = el('div', 'jp-ClassroomWidget-row');
  r.append(...children);
  return r;
}

function field(label: string, key: string, type: string): { label: HTMLLabelElement; input: HTMLInputElement } {
  const l = el('label', 'jp-ClassroomWidget-field', label) as HTMLLabelElement;
  const input = el('input') as HTMLInputElement;
  input.type = type;
  input.dataset.key = key;
  l.append(input);
  return { label: l, input };
}
