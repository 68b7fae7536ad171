import type { IClassState } from '../../protocol';
import { el } from '../dom';
import { button, IControlsOptions, row } from './controls';

/** The announcement: a banner everyone sees, posted with Enter or "Announce", and cleared. */
export class Announcer {
  constructor(options: IControlsOptions) {
    const { trans, send } = options;
    const text = el('textarea', 'jp-mod-styled jp-Classroom-announceText') as HTMLTextAreaElement;
    text.rows = 2;
    text.maxLength = 1000;
    text.setAttribute('aria-label', trans.__('Announcement for everyone'));
    text.placeholder = trans.__('A banner everyone sees');
    const post = () => {
      if (text.value.trim()) {
        send({ type: 'announce', text: text.value.trim() });
        text.value = '';
      }
    };
    text.addEventListener('keydown', event => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        post();
      }
    });
    this._clear = button(trans.__('Clear announcement'), () => send({ type: 'announce' }));
    this.node = el('div', 'jp-Classroom-announcer');
    this.node.append(text, row(button(trans.__('Announce'), post), this._clear));
    this.update(null);
  }

  readonly node: HTMLElement;

  update(state: IClassState | null): void {
    this._clear.disabled = !state?.announcement;
  }

  private _clear: HTMLButtonElement;
}
