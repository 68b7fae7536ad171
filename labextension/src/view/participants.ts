import { Widget } from '@lumino/widgets';

import { listName } from '../model/names';
import { IParticipantInfo } from '../protocol';
import { AudioMixer } from '../rtc/mixer';
import { IClassroom, IPeers, IRoomConnection } from '../tokens';
import { RoomCallStatus } from './callstatus';

/** One person's entry: created once, then updated in place. */
interface IRow {
  li: HTMLLIElement;
  button: HTMLButtonElement;
  dot: HTMLSpanElement;
  name: HTMLSpanElement;
  where: HTMLSpanElement;
  actions: HTMLDivElement | null;
}

/** Headings get ids of their own: a list may be built more than once in a page. */
let nextHeadingId = 0;

/**
 * Everyone in the classroom as a real list: the keyboard and screen-reader
 * path to what the map shows. Selecting a person offers "Go to" and "Message".
 *
 * Each person keeps one list entry for as long as they are here: changes
 * rewrite its text, so focus, an open volume slider and a screen reader's
 * place survive the many updates a lesson brings.
 */
export class ParticipantList extends Widget {
  constructor(
    readonly model: IClassroom,
    readonly mixer: AudioMixer,
    readonly peers: IPeers,
    readonly room: IRoomConnection,
    private readonly _onMessage: (user: string) => void
  ) {
    super();
    this.addClass('jp-Classroom-participants');
    const heading = document.createElement('h3');
    heading.id = `jp-Classroom-people-${nextHeadingId++}`;
    heading.className = 'jp-Classroom-heading';
    this._heading = heading;
    this._list = document.createElement('ul');
    this._list.setAttribute('aria-labelledby', heading.id);
    this.node.append(heading, this._list);
    const roster = model.roster;
    roster.reset.connect(this._sync, this);
    roster.participantJoined.connect((_, p) => {
      this._update(p);
      this._arrange();
    }, this);
    roster.participantUpdated.connect((_, { participant, previous }) => {
      this._update(participant);
      if (participant.name !== previous.name) {
        this._arrange();
      }
    }, this);
    roster.participantLeft.connect((_, p) => this._remove(p.id), this);
    roster.positionsChanged.connect((_, ids) => ids.forEach(id => this._place(id)), this);
    // Who is near or in a call with us only changes the descriptions.
    roster.neighboursChanged.connect(this._describeAll, this);
    peers.changed.connect(this._describeAll, this);
    room.changed.connect(this._describeAll, this);
    this._sync();
  }

  /** Our room's call, described in our own entry. */
  get callStatus(): RoomCallStatus | null {
    return this._callStatus;
  }
  set callStatus(value: RoomCallStatus | null) {
    this._callStatus?.changed.disconnect(this._describeAll, this);
    this._callStatus = value;
    value?.changed.connect(this._describeAll, this);
    this._describeAll();
  }

  /** The entry of a participant (for tests and tools). */
  entryOf(id: string): HTMLLIElement | null {
    return this._rows.get(id)?.li ?? null;
  }

  private _describe(p: IParticipantInfo): string {
    const trans = this.model.trans;
    const bits = [this.model.roomName(p.room)];
    if (p.role === 'instructor') {
      bits.push(trans.__('instructor'));
    }
    if (p.status === 'busy') {
      bits.push(trans.__('busy'));
    } else if (p.status === 'away') {
      bits.push(trans.__('away'));
    }
    if (p.hand) {
      bits.push(trans.__('hand raised'));
    }
    if (p.connection === 'reconnecting') {
      bits.push(trans.__('reconnecting'));
    }
    const call = p.id === this.model.myId ? this._callStatus?.short : '';
    if (call) {
      bits.push(call);
    }
    if (p.mic) {
      bits.push(trans.__('microphone on'));
    }
    if (p.camera) {
      bits.push(trans.__('camera on'));
    }
    if (p.screen) {
      bits.push(trans.__('sharing screen'));
    }
    if (p.transport === 'websocket') {
      // Their network blocks UDP (or they chose so): their media goes through the server.
      bits.push(trans.__('media through the server'));
    }
    if (this.peers.calls.has(p.id)) {
      bits.push(trans.__('talking with you'));
    } else if (this.room.remote.has(p.id)) {
      bits.push(trans.__("in your room's call"));
    } else if (this.model.roster.capped.has(p.id)) {
      bits.push(trans.__('nearby, but not heard: too many people close by'));
    } else if (this.model.roster.neighbours.has(p.id)) {
      bits.push(trans.__('nearby'));
    }
    return bits.join(', ');
  }

  /** Match the entries to the whole roster (after joining or reconnecting). */
  private _sync(): void {
    const participants = this.model.roster.participants;
    for (const id of [...this._rows.keys()]) {
      if (!participants.has(id)) {
        this._remove(id);
      }
    }
    for (const p of participants.values()) {
      this._update(p);
    }
    this._arrange();
    this._heading.textContent = this.model.trans.__('Participants (%1)', this._rows.size);
  }

  /** Create or rewrite one entry. */
  private _update(p: IParticipantInfo): void {
    const trans = this.model.trans;
    const row = this._rows.get(p.id) ?? this._create(p.id);
    const mine = p.id === this.model.myId;
    row.li.dataset.name = p.name;
    row.li.dataset.room = p.room ?? '';
    row.dot.style.background = p.color;
    setText(row.dot, p.initials);
    const name = listName(p, mine, trans);
    const where = this._describe(p);
    setText(row.name, name.text);
    setText(row.where, where);
    // Shown as "Kore", read out as "Anonymous Kore", with the rest of the entry.
    if (name.full !== name.text) {
      row.button.setAttribute('aria-label', trans.__('%1, %2', name.full, where));
    } else {
      row.button.removeAttribute('aria-label');
    }
    this._place(p.id);
    this._showActions(p, row);
  }

  private _create(id: string): IRow {
    const li = document.createElement('li');
    li.className = 'jp-Classroom-person';
    li.dataset.id = id;
    const button = document.createElement('button');
    button.className = 'jp-Classroom-personButton';
    button.dataset.action = 'select';
    button.setAttribute('aria-expanded', 'false');
    const dot = document.createElement('span');
    dot.className = 'jp-Classroom-dot';
    dot.setAttribute('aria-hidden', 'true');
    const name = document.createElement('span');
    name.className = 'jp-Classroom-personName';
    const where = document.createElement('span');
    where.className = 'jp-Classroom-personWhere';
    button.append(dot, name, where);
    button.addEventListener('click', () => this._select(id));
    li.appendChild(button);
    const row: IRow = { li, button, dot, name, where, actions: null };
    this._rows.set(id, row);
    this._heading.textContent = this.model.trans.__('Participants (%1)', this._rows.size);
    return row;
  }

  private _remove(id: string): void {
    const row = this._rows.get(id);
    if (!row) {
      return;
    }
    this._rows.delete(id);
    row.li.remove();
    if (this._selected === id) {
      this._selected = null;
    }
    this._heading.textContent = this.model.trans.__('Participants (%1)', this._rows.size);
  }

  private _select(id: string): void {
    const previous = this._selected;
    this._selected = previous === id ? null : id;
    for (const pid of [previous, this._selected]) {
      const p = pid ? this.model.roster.get(pid) : undefined;
      const row = pid ? this._rows.get(pid) : undefined;
      if (p && row) {
        this._showActions(p, row);
      }
    }
  }

  /** The selected person's actions: Go to, Message and their volume. */
  private _showActions(p: IParticipantInfo, row: IRow): void {
    const expanded = this._selected === p.id;
    row.button.setAttribute('aria-expanded', String(expanded));
    const wanted = expanded && p.id !== this.model.myId;
    if (!wanted) {
      row.actions?.remove();
      row.actions = null;
      return;
    }
    const trans = this.model.trans;
    if (!row.actions) {
      const actions = document.createElement('div');
      actions.className = 'jp-Classroom-actions';
      const go = document.createElement('button');
      go.className = 'jp-Button jp-mod-styled jp-mod-accept';
      go.dataset.action = 'goto';
      go.textContent = trans.__('Go to');
      go.addEventListener('click', () => this.model.avatar.goTo(p.id));
      const msg = document.createElement('button');
      msg.className = 'jp-Button jp-mod-styled';
      msg.dataset.action = 'message';
      msg.textContent = trans.__('Message');
      msg.addEventListener('click', () => this._onMessage(this.model.roster.get(p.id)?.user ?? p.user));
      const volume = document.createElement('label');
      volume.className = 'jp-Classroom-volume';
      volume.textContent = trans.__('Volume');
      const slider = document.createElement('input');
      slider.type = 'range';
      slider.min = '0';
      slider.max = '100';
      slider.value = String(Math.round(this.mixer.volume(p.id) * 100));
      slider.dataset.action = 'volume';
      slider.addEventListener('input', () => {
        this.mixer.setVolume(p.id, Number(slider.value) / 100);
        this.peers.updateVoices();
      });
      volume.appendChild(slider);
      actions.append(go, msg, volume);
      row.li.appendChild(actions);
      row.actions = actions;
    }
    // Names can change (a second tab of the same person is renamed).
    row.actions.querySelector('[data-action="goto"]')!.setAttribute('aria-label', trans.__('Walk next to %1', p.name));
    row.actions
      .querySelector('[data-action="message"]')!
      .setAttribute('aria-label', trans.__('Send %1 a direct message', p.name));
    row.actions.querySelector('[data-action="volume"]')!.setAttribute('aria-label', trans.__('Volume of %1', p.name));
  }

  /** Keep an entry's map coordinates current (read by tests and other tools). */
  private _place(id: string): void {
    const row = this._rows.get(id);
    if (!row) {
      return;
    }
    const at = this.model.lastKnown(id);
    row.li.dataset.x = at ? at[0].toFixed(1) : '';
    row.li.dataset.y = at ? at[1].toFixed(1) : '';
  }

  private _describeAll(): void {
    for (const [id, row] of this._rows) {
      const p = this.model.roster.get(id);
      if (p) {
        setText(row.where, this._describe(p));
      }
    }
  }

  /** Ourselves first, then by name; only entries out of place are moved. */
  private _arrange(): void {
    const me = this.model.myId;
    const ids = [...this._rows.keys()].sort((a, b) => {
      if (a === me || b === me) {
        return a === me ? -1 : 1;
      }
      const na = this.model.roster.get(a)?.name ?? '';
      const nb = this.model.roster.get(b)?.name ?? '';
      return na.localeCompare(nb) || a.localeCompare(b);
    });
    let at: ChildNode | null = this._list.firstChild;
    for (const id of ids) {
      const li = this._rows.get(id)!.li;
      if (li === at) {
        at = at.nextSibling;
      } else {
        this._list.insertBefore(li, at);
      }
    }
  }

  private _heading: HTMLHeadingElement;
  private _list: HTMLUListElement;
  private _rows = new Map<string, IRow>();
  private _selected: string | null = null;
  private _callStatus: RoomCallStatus | null = null;
}

/** Write text only when it differs, so screen readers are not told of non-changes. */
function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) {
    node.textContent = text;
  }
}
