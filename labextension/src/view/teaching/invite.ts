import type { ClassroomConnection } from '../../model/connection';
import type { ClientMessage, IInvitationInfo, Role, ServerMessage } from '../../protocol';
import { el } from '../dom';
import { button, select, Trans } from './controls';

/** The expiries offered, in seconds, with their names. */
export const EXPIRIES: ReadonlyArray<[number, string]> = [
  [3600, '1 hour'],
  [7200, '2 hours'],
  [86400, '1 day'],
  [604800, '1 week']
];

/** A refusal of an invitation request, with the server's stable code. */
export class InvitationRefused extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message);
  }
}

/** Sends a request and settles with the reply that carries its `id`. */
export type Ask = (message: ClientMessage) => Promise<ServerMessage>;

// Far from the ids the classroom model numbers its own requests with.
let nextId = 1 << 30;

/** Requests over the classroom's connection, each answered by its reply (or refused). */
export function asker(connection: ClassroomConnection, timeoutMs = 15000): Ask {
  return message =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const done = () => {
        connection.messageReceived.disconnect(onMessage);
        window.clearTimeout(timer);
      };
      const onMessage = (_: unknown, reply: ServerMessage) => {
        if (!('id' in reply) || reply.id !== id) {
          return;
        }
        done();
        if (reply.type === 'error') {
          reject(new InvitationRefused(reply.code, reply.message));
        } else {
          resolve(reply);
        }
      };
      const timer = window.setTimeout(() => {
        done();
        reject(new InvitationRefused('no_answer', 'The classroom did not answer.'));
      }, timeoutMs);
      connection.messageReceived.connect(onMessage);
      if (!connection.send({ ...message, id } as ClientMessage)) {
        done();
        reject(new InvitationRefused('not_connected', 'Not connected to the classroom.'));
      }
    });
}

/** "2 h 05 min" left until `expires` (seconds since the epoch), coarsely. */
export function timeLeft(expires: number, now: number, trans: Trans): string {
  const minutes = Math.max(0, Math.round((expires * 1000 - now) / 60000));
  if (minutes >= 2 * 1440) {
    return trans.__('%1 days left', Math.round(minutes / 1440));
  }
  if (minutes >= 120) {
    return trans.__('%1 hours left', Math.round(minutes / 60));
  }
  return trans._n('%1 minute left', '%1 minutes left', minutes);
}

/** The full link of an invitation, on the server this page came from. */
export function linkOf(info: IInvitationInfo, origin: string = window.location.origin): string {
  return origin + info.path;
}

/**
 * The body of the Invite dialog: a new invitation's role, expiry, guest cap
 * and label; the link it made with Copy; the current invitations, each with
 * its guests and a Revoke button. What changes is said in a live region.
 */
export class InvitePanel {
  constructor(
    private readonly _ask: Ask,
    private readonly _trans: Trans,
    /** Puts text on the system clipboard (JupyterLab's, in the page). */
    private readonly _clipboard: (text: string) => void
  ) {
    const trans = _trans;
    this.node = el('div', 'jp-Classroom-invite');
    const form = el('div', 'jp-Classroom-inviteForm');
    this._role = select(trans.__('Invite as'), [
      ['student', trans.__('Students')],
      ['instructor', trans.__('Co-instructors')]
    ]);
    this._expiry = select(
      trans.__('Link works for'),
      EXPIRIES.map(([seconds, name]) => [String(seconds), trans.__(name)])
    );
    this._expiry.value = '7200';
    this._cap = el('input', 'jp-mod-styled') as HTMLInputElement;
    this._cap.type = 'number';
    this._cap.min = '1';
    this._cap.max = '1000';
    this._cap.placeholder = trans.__('server default');
    this._label = el('input', 'jp-mod-styled') as HTMLInputElement;
    this._label.type = 'text';
    this._label.maxLength = 80;
    this._label.placeholder = trans.__('e.g. Tuesday lab');
    form.append(
      this._field(trans.__('Invite as'), this._role),
      this._field(trans.__('Link works for'), this._expiry),
      this._field(trans.__('At most this many guests'), this._cap),
      this._field(trans.__('Label (optional)'), this._label)
    );
    this._create = button(trans.__('Create link'), () => void this.create());
    this._create.classList.add('jp-mod-accept');
    form.append(this._create);
    // Enter in a field makes the link (the dialog's own Enter is off).
    form.addEventListener('keydown', event => {
      if (event.key === 'Enter' && !(event.target instanceof HTMLButtonElement)) {
        event.preventDefault();
        void this.create();
      }
    });

    this._made = el('div', 'jp-Classroom-inviteMade');
    this._made.hidden = true;
    this._link = el('input', 'jp-mod-styled jp-Classroom-inviteLink') as HTMLInputElement;
    this._link.readOnly = true;
    const copy = button(trans.__('Copy'), () => this._copy(this._link.value), trans.__('Copy the link'));
    this._made.append(this._field(trans.__('Link to send'), this._link), copy);
    const note = el(
      'p',
      'jp-Classroom-inviteNote',
      trans.__(
        'Whoever opens the link enters this classroom only (not your notebooks, files or terminals), under a name they type.'
      )
    );

    this._status = el('div', 'jp-Classroom-inviteStatus');
    this._status.setAttribute('role', 'status');
    this._status.setAttribute('aria-live', 'polite');
    this._listHeading = el('h4', 'jp-Classroom-heading', trans.__('Current invitations'));
    this._listHeading.id = `jp-Classroom-invitations-${nextId}`;
    this._list = el('ul', 'jp-Classroom-invitations');
    this._list.setAttribute('aria-labelledby', this._listHeading.id);
    this.node.append(form, this._made, note, this._status, this._listHeading, this._list);
  }

  readonly node: HTMLElement;

  /** The invitations shown, as the server last listed them. */
  get invitations(): readonly IInvitationInfo[] {
    return this._current;
  }

  /** Make an invitation from the form's choices, show its link and the list. */
  async create(): Promise<void> {
    const trans = this._trans;
    const cap = this._cap.value.trim();
    const label = this._label.value.trim();
    this._create.disabled = true;
    try {
      const reply = await this._ask({
        type: 'create_invitation',
        role: this._role.value as Role,
        expires_in: Number(this._expiry.value),
        max_guests: cap ? Number(cap) : null,
        label: label || null
      });
      if (reply.type === 'invitation') {
        this._made.hidden = false;
        this._link.value = linkOf(reply.invitation);
        this._say(trans.__('Link created: copy it and send it to the people you invite.'));
        this._link.focus();
        this._link.select();
      }
      await this.refresh();
    } catch (error) {
      this._say(this._why(error));
    } finally {
      this._create.disabled = false;
    }
  }

  /** List the current invitations again. */
  async refresh(): Promise<void> {
    try {
      const reply = await this._ask({ type: 'list_invitations' });
      if (reply.type === 'invitations') {
        this._current = reply.invitations;
        this._render();
      }
    } catch (error) {
      this._say(this._why(error));
    }
  }

  /** End an invitation: its guests leave at once. */
  async revoke(info: IInvitationInfo): Promise<void> {
    try {
      await this._ask({ type: 'revoke_invitation', invitation: info.id });
      this._say(this._trans.__('Invitation %1 revoked: its guests were disconnected.', this._name(info)));
      if (this._link.value === linkOf(info)) {
        this._made.hidden = true;
        this._link.value = '';
      }
      await this.refresh();
      this._create.focus();
    } catch (error) {
      this._say(this._why(error));
    }
  }

  private _name(info: IInvitationInfo): string {
    return info.label || info.id;
  }

  private _render(): void {
    const trans = this._trans;
    const now = Date.now();
    this._list.replaceChildren();
    if (!this._current.length) {
      this._list.append(el('li', 'jp-Classroom-inviteEmpty', trans.__('No current invitations.')));
      return;
    }
    for (const info of this._current) {
      const item = el('li', 'jp-Classroom-invitation');
      item.dataset.id = info.id;
      const whom = info.role === 'instructor' ? trans.__('Co-instructors') : trans.__('Students');
      const guests = trans.__('%1 of %2 guests joined, %3 here now', info.guests, info.max_guests, info.online ?? 0);
      const text = [info.label, whom, timeLeft(info.expires, now, trans), guests].filter(Boolean).join(' · ');
      const name = this._name(info);
      item.append(
        el('span', 'jp-Classroom-invitationText', text),
        button(trans.__('Copy link'), () => this._copy(linkOf(info)), trans.__('Copy the link of %1', name)),
        button(trans.__('Revoke'), () => void this.revoke(info), trans.__('Revoke invitation %1', name))
      );
      this._list.append(item);
    }
  }

  private _copy(link: string): void {
    this._clipboard(link);
    this._say(this._trans.__('Link copied.'));
  }

  private _field(label: string, control: HTMLElement): HTMLLabelElement {
    const l = el('label', 'jp-Classroom-teachField', label) as HTMLLabelElement;
    control.removeAttribute('aria-label'); // the label names it
    l.append(control);
    return l;
  }

  private _why(error: unknown): string {
    if (error instanceof InvitationRefused && error.code === 'forbidden') {
      return this._trans.__('Only an instructor may invite people.');
    }
    return error instanceof Error ? error.message : String(error);
  }

  private _say(text: string): void {
    // A new node each time, so the same sentence twice is read twice.
    this._status.replaceChildren(el('div', undefined, text));
  }

  private _role: HTMLSelectElement;
  private _expiry: HTMLSelectElement;
  private _cap: HTMLInputElement;
  private _label: HTMLInputElement;
  private _create: HTMLButtonElement;
  private _made: HTMLElement;
  private _link: HTMLInputElement;
  private _status: HTMLElement;
  private _listHeading: HTMLElement;
  private _list: HTMLElement;
  private _current: IInvitationInfo[] = [];
}
