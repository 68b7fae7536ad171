import { Widget } from '@lumino/widgets';

import { IAnnouncement } from '../protocol';
import { IClassroom } from '../tokens';
import { el } from './dom';

/** What identifies one announcement: a new one (even with the same words) shows again. */
export function announcementKey(a: IAnnouncement): string {
  return `${a.sender}:${a.ts}`;
}

const STORAGE_PREFIX = 'jupyterlab-classroom:announcement-dismissed:';

/** Where the dismissed announcement is remembered (per person: a browser may be shared). */
function storageKey(user: string): string {
  return STORAGE_PREFIX + user;
}

function readDismissed(user: string): string | null {
  try {
    return window.localStorage.getItem(storageKey(user));
  } catch {
    return null;
  }
}

function writeDismissed(user: string, key: string): void {
  try {
    window.localStorage.setItem(storageKey(user), key);
  } catch {
    // Private browsing without storage: dismissed for this page only.
  }
}

/**
 * The instructors' announcement, across the top of the classroom: from the
 * welcome (so someone joining late sees it) and each `class_updated`. Its
 * sentence is in a live region, so a screen reader says it when it comes;
 * Dismiss hides it for this person until another announcement is made.
 * Uses only the classroom's model: the standalone page mounts it as it is.
 */
export class AnnouncementBanner extends Widget {
  constructor(readonly model: IClassroom) {
    super();
    const trans = model.trans;
    this.addClass('jp-Classroom-announcement');
    this._text = el('p', 'jp-Classroom-announcementText');
    this._text.setAttribute('role', 'status');
    this._dismiss = el('button', 'jp-Button jp-mod-styled jp-Classroom-announcementDismiss', trans.__('Dismiss'));
    this._dismiss.setAttribute('aria-label', trans.__('Dismiss the announcement'));
    this._dismiss.addEventListener('click', () => this.dismiss());
    this.node.append(this._text, this._dismiss);
    this.node.hidden = true;
    const { connection } = model;
    this._listeners = [
      connection.on('welcome', m => this._show(m.classroom?.announcement ?? null)),
      connection.on('class_updated', m => this._show(m.state.announcement ?? null))
    ];
  }

  /** The announcement in force (dismissed or not), null if none. */
  get announcement(): IAnnouncement | null {
    return this._current;
  }

  /** Hide the announcement for this person, remembered across reloads. */
  dismiss(): void {
    const current = this._current;
    if (!current) {
      return;
    }
    this._dismissedHere = announcementKey(current);
    const user = this.model.me?.user;
    if (user) {
      writeDismissed(user, this._dismissedHere);
    }
    this._render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._listeners.forEach(l => l.dispose());
    super.dispose();
  }

  private _show(next: IAnnouncement | null): void {
    const same =
      (next === null && this._current === null) ||
      (next !== null && this._current !== null && announcementKey(next) === announcementKey(this._current));
    this._current = next;
    if (!same) {
      this._render();
    }
  }

  private _dismissed(a: IAnnouncement): boolean {
    const key = announcementKey(a);
    if (this._dismissedHere === key) {
      return true;
    }
    const user = this.model.me?.user;
    return !!user && readDismissed(user) === key;
  }

  private _render(): void {
    const a = this._current;
    const show = !!a && !this._dismissed(a);
    this.node.hidden = !show;
    this.node.dataset.ts = a ? String(a.ts) : '';
    // Emptied when hidden, so the live region speaks again when a new one comes.
    this._text.textContent = show && a ? this.model.trans.__('Announcement from %1: %2', a.sender_name, a.text) : '';
  }

  private _text: HTMLElement;
  private _dismiss: HTMLElement;
  private _current: IAnnouncement | null = null;
  private _dismissedHere: string | null = null;
  private _listeners: { dispose(): void }[];
}
