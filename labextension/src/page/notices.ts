import { Widget } from '@lumino/widgets';

import { INotifier, INotifyOptions } from '../create/notifier';

/**
 * The page's notifications (announcements, LIVE, summons): a list above the
 * classroom, read out as they come (a polite live region), each with its
 * buttons and a Dismiss.
 */
export class PageNotices extends Widget implements INotifier {
  constructor(private readonly _dismissLabel: string) {
    super({ node: document.createElement('section') });
    this.addClass('jp-ClassroomPage-notices');
    this.node.setAttribute('aria-live', 'polite');
    this.node.setAttribute('aria-relevant', 'additions');
    this.node.setAttribute('aria-label', 'Notifications');
  }

  emit(text: string, kind: 'info' | 'warning', options: INotifyOptions = {}): string {
    const id = `classroom-notice-${++this._count}`;
    const item = document.createElement('div');
    item.id = id;
    item.className = `jp-ClassroomPage-notice jp-mod-${kind}`;
    item.setAttribute('role', kind === 'warning' ? 'alert' : 'status');
    const message = document.createElement('span');
    message.textContent = text;
    item.append(message);
    for (const action of options.actions ?? []) {
      const button = document.createElement('button');
      button.className = 'jp-Button jp-mod-styled';
      button.textContent = action.label;
      if (action.caption) {
        button.title = action.caption;
      }
      button.addEventListener('click', () => {
        action.callback();
        this.dismiss(id);
      });
      item.append(button);
    }
    const close = document.createElement('button');
    close.className = 'jp-Button jp-mod-styled';
    close.textContent = '×';
    close.setAttribute('aria-label', this._dismissLabel);
    close.addEventListener('click', () => this.dismiss(id));
    item.append(close);
    this.node.append(item);
    const autoClose = options.autoClose ?? 5000;
    if (autoClose !== false) {
      this._timers.set(
        id,
        window.setTimeout(() => this.dismiss(id), autoClose)
      );
    }
    return id;
  }

  dismiss(id: string): void {
    window.clearTimeout(this._timers.get(id));
    this._timers.delete(id);
    this.node.querySelector(`#${CSS.escape(id)}`)?.remove();
  }

  dispose(): void {
    for (const timer of this._timers.values()) {
      window.clearTimeout(timer);
    }
    this._timers.clear();
    super.dispose();
  }

  private _count = 0;
  private _timers = new Map<string, number>();
}
