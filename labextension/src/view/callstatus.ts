import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { CallStatus, callStatus } from '../model/callstatus';
import { IClassroom, IRoomConnection } from '../tokens';

/**
 * Our room's call, said over the map where people look: "Table 2 · in the
 * room's call", and a warning when it does not connect (nobody at the table
 * hears us, and we hear nobody). The participant list reads `status` for our
 * own entry, so both always agree.
 */
export class RoomCallStatus extends Widget {
  constructor(
    readonly model: IClassroom,
    readonly room: IRoomConnection
  ) {
    super();
    // The class name is what tests and user styles have known it by.
    this.addClass('jp-Classroom-roomStatus');
    this.addClass('jp-Classroom-callStatus');
    this.node.setAttribute('role', 'status');
    this.node.hidden = true;
    room.changed.connect(this._update, this);
    model.roster.participantUpdated.connect(this._update, this);
    model.roster.reset.connect(this._update, this);
    model.joined.connect(this._update, this);
    model.connection.stateChanged.connect(this._update, this);
    this._update();
  }

  /** How our room's call is doing. */
  get status(): CallStatus {
    return this._status;
  }

  /** The status or its words changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** A few words for our own entry in the participant list ('' when none). */
  get short(): string {
    const trans = this.model.trans;
    switch (this._status) {
      case 'connected':
        return trans.__("in the room's call");
      case 'joining':
        return trans.__("joining the room's call");
      case 'not-connected':
        return trans.__("room's call not connected");
      case 'chat-only':
        return trans.__('room chat only');
      case 'offline':
        return trans.__('not connected to the classroom');
      default:
        return '';
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearInterval(this._timer);
    Signal.clearData(this);
    super.dispose();
  }

  private _update(): void {
    const roomId = this.model.me?.room ?? null;
    const state = this.room.state;
    const now = Date.now();
    if (roomId !== this._room || (state === 'connected') !== this._connected) {
      // Entering a room, or the call connecting or dropping, starts the wait afresh.
      this._room = roomId;
      this._connected = state === 'connected';
      this._since = now;
    }
    const status = callStatus({
      room: roomId,
      roomMedia: !!this.model.config?.room_media,
      state,
      waitingFor: now - this._since,
      online: this.model.connection.state.status === 'connected'
    });
    // While we wait, look again each second: the warning comes with time alone.
    const waiting = status === 'joining' || status === 'not-connected';
    if (waiting && !this._timer) {
      this._timer = window.setInterval(() => this._update(), 1000);
    } else if (!waiting && this._timer) {
      window.clearInterval(this._timer);
      this._timer = 0;
    }
    const text = this._text(status, roomId);
    if (status === this._status && text === this.node.textContent) {
      return;
    }
    this._status = status;
    this.node.dataset.state = status;
    this.node.hidden = status === 'none';
    this.toggleClass('jp-mod-warning', status === 'not-connected' || status === 'chat-only' || status === 'offline');
    this.toggleClass('jp-mod-connected', status === 'connected');
    this.node.textContent = text;
    this._changed.emit();
  }

  private _text(status: CallStatus, roomId: string | null): string {
    const trans = this.model.trans;
    const name = this.model.roomName(roomId);
    switch (status) {
      case 'connected':
        return trans.__("%1: in the room's call", name);
      case 'joining':
        return trans.__("%1: joining the room's call…", name);
      case 'not-connected':
        return trans.__(
          "%1: the room's call does not connect, so nobody here hears you and you hear nobody. Trying again…",
          name
        );
      case 'offline':
        return trans.__("%1: not connected to the classroom; the room's call may have stopped", name);
      case 'chat-only': {
        const why = this.model.config?.room_media_unavailable;
        return why
          ? trans.__('%1: room calls are unavailable (%2); chat only', name, why)
          : trans.__('%1: rooms have chat only on this server', name);
      }
      default:
        return '';
    }
  }

  private _status: CallStatus = 'none';
  private _room: string | null = null;
  private _connected = false;
  private _since = Date.now();
  private _timer = 0;
  private _changed = new Signal<this, void>(this);
}
