import { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

import { IClassroomError } from '../model/classroom';
import { MAX_NAME_LENGTH, tidyName } from '../model/profile';
import { IParticipantInfo } from '../protocol';
import { IClassroom } from '../tokens';
import { Notice } from './notice';

let nextId = 0;

/** Problems with a chosen name or colour, which this form explains. */
const PROFILE_CODES = new Set(['bad_name', 'bad_color', 'name_from_host']);

/**
 * "Your name": a small form in the panel's bar to choose the name and
 * colour others see, when the host gives none (a token login makes everyone
 * "Anonymous <moon>"). The choice is kept in this browser and stated to the
 * server on joining; the server checks it, and the form says why when it is
 * refused. When the host names people, the form says where the name comes
 * from instead.
 */
export class ProfileForm implements IDisposable {
  constructor(readonly model: IClassroom) {
    const trans = model.trans;
    const uid = `jp-Classroom-profile-${nextId++}`;
    this.node = document.createElement('details');
    this.node.className = 'jp-Classroom-profile';
    const summary = document.createElement('summary');
    summary.textContent = trans.__('Your name');
    summary.setAttribute('aria-label', trans.__('Your name and colour'));
    this._form = document.createElement('form');
    this._form.setAttribute('aria-label', trans.__('Your name and colour'));
    const nameLabel = document.createElement('label');
    nameLabel.htmlFor = `${uid}-name`;
    nameLabel.textContent = trans.__('Name');
    this._name = document.createElement('input');
    this._name.type = 'text';
    this._name.id = `${uid}-name`;
    this._name.maxLength = MAX_NAME_LENGTH;
    this._name.setAttribute('autocomplete', 'nickname');
    this._name.required = true;
    this._name.dataset.field = 'name';
    const colourLabel = document.createElement('label');
    colourLabel.htmlFor = `${uid}-colour`;
    colourLabel.textContent = trans.__('Colour');
    this._colour = document.createElement('input');
    this._colour.type = 'color';
    this._colour.id = `${uid}-colour`;
    this._colour.dataset.field = 'colour';
    const save = document.createElement('button');
    save.type = 'submit';
    save.className = 'jp-Button jp-mod-styled jp-mod-accept';
    save.textContent = trans.__('Save');
    this._form.append(nameLabel, this._name, colourLabel, this._colour, save);
    this._note = document.createElement('p');
    this._note.className = 'jp-Classroom-profileNote';
    this.node.append(summary, this._form, this._note);
    // Outside the collapsible part, so a refusal is seen with the form closed.
    this.error = new Notice();
    this.saved = new Notice('jp-Classroom-profileNote');
    this.saved.node.setAttribute('role', 'status');

    this._form.addEventListener('submit', event => {
      event.preventDefault();
      this._submit();
    });
    this.node.addEventListener('toggle', () => {
      if (this.node.open) {
        this._fill();
        if (this.model.naming) {
          this._name.focus();
        }
      }
    });
    model.joined.connect(this._onJoined, this);
    model.errorOccurred.connect(this._onError, this);
    model.roster.participantUpdated.connect(this._onUpdated, this);
    this._onJoined();
  }

  readonly node: HTMLDetailsElement;
  /** Why a name or colour was refused (role alert, clears itself). */
  readonly error: Notice;
  /** "Saved" (role status, clears itself). */
  readonly saved: Notice;

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.error.dispose();
    this.saved.dispose();
    Signal.disconnectReceiver(this);
  }

  private _onJoined(): void {
    const trans = this.model.trans;
    const naming = this.model.naming;
    this._form.hidden = !naming;
    this._note.textContent = naming
      ? trans.__('Kept in this browser. Everyone sees the change at once.')
      : trans.__('Your name and colour come from your account on this server.');
    this._fill();
  }

  /** Put the name and colour in use (or chosen) in the fields. */
  private _fill(): void {
    const chosen = this.model.profile.get();
    const me = this.model.me;
    this._name.value = chosen.name || (me && this.model.naming ? '' : (me?.name ?? ''));
    this._name.placeholder = me?.name ?? '';
    this._colour.value = chosen.color || me?.color || '#1f77b4';
  }

  private _submit(): void {
    const trans = this.model.trans;
    const name = tidyName(this._name.value);
    if (!name) {
      this.error.show(trans.__('Write the name others should see.'), 'bad_name');
      this._name.focus();
      return;
    }
    this.error.clear();
    this._pending = true;
    this.model.setProfile({ name, color: this._colour.value });
    if (!this.model.me) {
      // Not in the classroom yet: the choice goes with joining.
      this.saved.show(trans.__('Saved: others will see it when you join.'));
    }
  }

  private _onUpdated(_: unknown, change: { participant: IParticipantInfo; previous: IParticipantInfo }): void {
    const { participant: p, previous } = change;
    if (p.id !== this.model.myId || !this._pending) {
      return;
    }
    if (p.name !== previous.name || p.color !== previous.color) {
      this._pending = false;
      this.saved.show(this.model.trans.__('Saved: others see you as %1.', p.name));
    }
  }

  private _onError(_: unknown, e: IClassroomError): void {
    if (PROFILE_CODES.has(e.code)) {
      this._pending = false;
      this.error.show(e.message, e.code);
    }
  }

  private _form: HTMLFormElement;
  private _name: HTMLInputElement;
  private _colour: HTMLInputElement;
  private _note: HTMLParagraphElement;
  private _pending = false;
  private _disposed = false;
}
