import type { IClassState } from '../../protocol';
import { el } from '../dom';
import { button, IControlsOptions, pressed, row, select } from './controls';
import type { Target } from './person';

/** Lock a room for students, or unlock it; those inside stay. */
export class RoomLock {
  constructor(
    private readonly _options: IControlsOptions,
    private readonly _target: Target
  ) {
    const { trans, send } = _options;
    this.node = button(trans.__('Lock room'), () => {
      const room = this._room();
      if (room) {
        send({ type: 'lock_room', room, locked: !this._locked(room) });
      }
    });
    this.update(null);
  }

  readonly node: HTMLButtonElement;

  update(state: IClassState | null): void {
    const { trans } = this._options;
    this._state = state;
    const room = this._room();
    const locked = room !== null && this._locked(room);
    this.node.disabled = room === null;
    this.node.textContent = locked ? trans.__('Unlock room') : trans.__('Lock room');
    pressed(this.node, locked);
    if (typeof this._target !== 'function') {
      const name = this._target.name;
      this.node.setAttribute('aria-label', locked ? trans.__('Unlock %1', name) : trans.__('Lock %1', name));
    }
  }

  private _room(): string | null {
    return typeof this._target === 'function' ? this._target() : this._target.id;
  }

  private _locked(room: string): boolean {
    return !!this._state?.locked_rooms.includes(room);
  }

  private _state: IClassState | null = null;
}

/** A room picked from the map's rooms (locked ones say so), and its lock. */
export class RoomPicker {
  constructor(private readonly _options: IControlsOptions) {
    this._select = select(_options.trans.__('Room'));
    this._select.addEventListener('change', () => this.update(this._state));
    this._lock = new RoomLock(_options, () => this._select.value || null);
    this.node = row(this._select, this._lock.node);
  }

  readonly node: HTMLElement;

  /** The rooms to pick from (set once the map is known). */
  setRooms(rooms: readonly { id: string; name: string }[]): void {
    const chosen = this._select.value;
    this._names = new Map(rooms.map(r => [r.id, r.name]));
    this._select.replaceChildren();
    for (const r of rooms) {
      const o = el('option', undefined, r.name) as HTMLOptionElement;
      o.value = r.id;
      this._select.append(o);
    }
    this._select.value = this._names.has(chosen) ? chosen : (rooms[0]?.id ?? '');
    this.update(this._state);
  }

  get hasRooms(): boolean {
    return this._names.size > 0;
  }

  update(state: IClassState | null): void {
    this._state = state;
    this._lock.update(state);
    for (const o of Array.from(this._select.options)) {
      const name = this._names.get(o.value) ?? o.value;
      o.textContent = state?.locked_rooms.includes(o.value) ? this._options.trans.__('%1 (locked)', name) : name;
    }
  }

  private _select: HTMLSelectElement;
  private _lock: RoomLock;
  private _names = new Map<string, string>();
  private _state: IClassState | null = null;
}
