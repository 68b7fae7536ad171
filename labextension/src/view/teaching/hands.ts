import { el } from '../dom';
import { button, IControlsOptions } from './controls';

/**
 * Raised hands in the order raised; for instructors, a Mute and a Lower
 * button on each and "Lower all hands".
 */
export class HandsList {
  constructor(private readonly _options: IControlsOptions) {
    const { trans, send } = _options;
    this.node = el('div', 'jp-Classroom-handsList');
    this._list = el('ol', 'jp-Classroom-hands') as HTMLOListElement;
    this._list.setAttribute('aria-label', trans.__('Raised hands, in the order raised'));
    this._empty = el('p', 'jp-Classroom-empty', trans.__('No hands raised.'));
    this._lowerAll = button(trans.__('Lower all hands'), () => send({ type: 'lower_hand' }));
    this.node.append(this._empty, this._list, this._lowerAll);
  }

  readonly node: HTMLElement;

  /**
   * Show `hands` (participant ids); `name` gives a person's name, `label`
   * the line shown for them (their name unless said otherwise).
   */
  update(
    hands: readonly string[],
    instructor: boolean,
    name: (id: string) => string,
    label: (id: string) => string = name
  ): void {
    const { trans, send } = this._options;
    this._empty.hidden = hands.length > 0;
    this._list.hidden = !hands.length;
    this._lowerAll.hidden = !instructor;
    this._lowerAll.disabled = !hands.length;
    const active = document.activeElement as HTMLElement | null;
    const focused = active && this.node.contains(active) ? active : null;
    const refocus = focused ? { id: focused.closest('li')?.dataset.id, action: focused.dataset.action } : null;
    this._list.replaceChildren();
    for (const id of hands) {
      const li = el('li', 'jp-Classroom-handEntry');
      li.dataset.id = id;
      li.append(el('span', 'jp-Classroom-handName', label(id)));
      if (instructor) {
        const who = name(id);
        const mute = button(trans.__('Mute'), () => send({ type: 'mute', participant: id }), trans.__('Mute %1', who));
        mute.dataset.action = 'mute';
        const lower = button(
          trans.__('Lower'),
          () => send({ type: 'lower_hand', participant: id }),
          trans.__("Lower %1's hand", who)
        );
        lower.dataset.action = 'lower';
        li.append(mute, lower);
      }
      this._list.append(li);
    }
    // The focused button came back under its person, or the next best place.
    if (refocus?.id) {
      const li = Array.from(this._list.children).find(e => (e as HTMLElement).dataset.id === refocus.id);
      const again = li?.querySelector<HTMLElement>(`[data-action="${refocus.action}"]`);
      (again ?? this._lowerAll).focus();
    }
  }

  private _list: HTMLOListElement;
  private _empty: HTMLElement;
  private _lowerAll: HTMLButtonElement;
}
