import { Widget } from '@lumino/widgets';

import { ClassroomModel } from '../model/classroom';
import { IParticipantInfo } from '../protocol';
import { AudioMixer } from '../rtc/mixer';
import { PeerManager } from '../rtc/peers';
import { RoomConnection } from '../rtc/sfu';

/**
 * Everyone in the classroom as a real list: the keyboard and screen-reader
 * path to what the map shows. Selecting a person offers "Go to" and "Message".
 */
export class ParticipantList extends Widget {
  constructor(
    readonly model: ClassroomModel,
    readonly mixer: AudioMixer,
    readonly peers: PeerManager,
    readonly room: RoomConnection,
    private readonly _onMessage: (user: string) => void
  ) {
    super();
    this.addClass('jp-Classroom-participants');
    const heading = document.createElement('h3');
    heading.id = `jp-Classroom-people-${Private.nextId++}`;
    heading.className = 'jp-Classroom-heading';
    this._heading = heading;
    this._list = document.createElement('ul');
    this._list.setAttribute('aria-labelledby', heading.id);
    this.node.append(heading, this._list);
    model.participantsChanged.connect(this._render, this);
    model.positionsChanged.connect(this._onPositions, this);
    peers.changed.connect(this._render, this);
    room.changed.connect(this._render, this);
    this._render();
  }

  /** Keep each entry's map coordinates current (read by tests and other tools). */
  private _onPositions(_: ClassroomModel, ids: string[]): void {
    for (const id of ids) {
      const li = this._list.querySelector<HTMLElement>(`li[data-id="${CSS.escape(id)}"]`);
      const p = this.model.participants.get(id);
      if (li && p) {
        li.dataset.x = p.x.toFixed(1);
        li.dataset.y = p.y.toFixed(1);
      }
    }
  }

  private _describe(p: IParticipantInfo): string {
    const bits = [this.model.roomName(p.room)];
    if (p.role === 'instructor') {
      bits.push('instructor');
    }
    if (p.status !== 'available') {
      bits.push(p.status);
    }
    if (p.hand) {
      bits.push('hand raised');
    }
    if (p.connection === 'reconnecting') {
      bits.push('reconnecting');
    }
    if (p.mic) {
      bits.push('microphone on');
    }
    if (p.camera) {
      bits.push('camera on');
    }
    if (p.screen) {
      bits.push('sharing screen');
    }
    if (this.peers.calls.has(p.id)) {
      bits.push('talking with you');
    } else if (this.room.remote.has(p.id)) {
      bits.push('in your room\'s call');
    } else if (this.model.capped.has(p.id)) {
      bits.push('nearby, but not heard: too many people close by');
    } else if (this.model.neighbours.has(p.id)) {
      bits.push('nearby');
    }
    return bits.join(', ');
  }

  private _render(): void {
    const me = this.model.me;
    const people = [...this.model.participants.values()].sort((a, b) =>
      a.id === me?.id ? -1 : b.id === me?.id ? 1 : a.name.localeCompare(b.name)
    );
    this._heading.textContent = `Participants (${people.length})`;
    const focused = document.activeElement as HTMLElement | null;
    const focusId = focused?.closest('li')?.dataset.id;
    const focusAction = focused?.dataset.action;
    this._list.replaceChildren();
    for (const p of people) {
      const li = document.createElement('li');
      li.className = 'jp-Classroom-person';
      li.dataset.id = p.id;
      li.dataset.name = p.name;
      li.dataset.room = p.room ?? '';
      const at = this.model.lastKnown(p.id);
      li.dataset.x = at ? at[0].toFixed(1) : '';
      li.dataset.y = at ? at[1].toFixed(1) : '';
      const button = document.createElement('button');
      button.className = 'jp-Classroom-personButton';
      button.dataset.action = 'select';
      const expanded = this._selected === p.id;
      button.setAttribute('aria-expanded', String(expanded));
      const dot = document.createElement('span');
      dot.className = 'jp-Classroom-dot';
      dot.style.background = p.color;
      dot.textContent = p.initials;
      dot.setAttribute('aria-hidden', 'true');
      const name = document.createElement('span');
      name.className = 'jp-Classroom-personName';
      name.textContent = p.id === me?.id ? `${p.name} (you)` : p.name;
      const where = document.createElement('span');
      where.className = 'jp-Classroom-personWhere';
      where.textContent = this._describe(p);
      button.append(dot, name, where);
      button.addEventListener('click', () => {
        this._selected = expanded ? null : p.id;
        this._render();
      });
      li.appendChild(button);
      if (expanded && p.id !== me?.id) {
        const actions = document.createElement('div');
        actions.className = 'jp-Classroom-actions';
        const go = document.createElement('button');
        go.className = 'jp-Button jp-mod-styled jp-mod-accept';
        go.dataset.action = 'goto';
        go.textContent = 'Go to';
        go.setAttribute('aria-label', `Walk next to ${p.name}`);
        go.addEventListener('click', () => this.model.goTo(p.id));
        const msg = document.createElement('button');
        msg.className = 'jp-Button jp-mod-styled';
        msg.dataset.action = 'message';
        msg.textContent = 'Message';
        msg.setAttribute('aria-label', `Send ${p.name} a direct message`);
        msg.addEventListener('click', () => this._onMessage(p.user));
        const volume = document.createElement('label');
        volume.className = 'jp-Classroom-volume';
        volume.textContent = 'Volume';
        const slider = document.createElement('input');
        slider.type = 'range';
        slider.min = '0';
        slider.max = '100';
        slider.value = String(Math.round(this.mixer.volume(p.id) * 100));
        slider.setAttribute('aria-label', `Volume of ${p.name}`);
        slider.dataset.action = 'volume';
        slider.addEventListener('input', () => {
          this.mixer.setVolume(p.id, Number(slider.value) / 100);
          this.peers.updateVoices();
        });
        volume.appendChild(slider);
        actions.append(go, msg, volume);
        li.appendChild(actions);
      }
      this._list.appendChild(li);
    }
    if (focusId) {
      const again = this._list.querySelector<HTMLElement>(
        `li[data-id="${CSS.escape(focusId)}"] [data-action="${focusAction ?? 'select'}"]`
      );
      again?.focus();
    }
  }

  private _heading: HTMLHeadingElement;
  private _list: HTMLUListElement;
  private _selected: string | null = null;
}

namespace Private {
  export let nextId = 0;
}
