import { TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IRoomInfo } from '../protocol';
import type { IOwnAvatar, IRoster } from '../tokens';

/**
 * Sentences for screen-reader users, made from what the roster and our own
 * avatar report: who joined or left, who entered a room, where we are.
 */
export class Announcements implements IDisposable {
  constructor(
    roster: IRoster,
    avatar: IOwnAvatar,
    private readonly _roomName: (id: string | null | undefined) => string,
    trans: TranslationBundle
  ) {
    roster.participantJoined.connect((_, p) => this._say(trans.__('%1 joined the classroom.', p.name)), this);
    roster.participantLeft.connect((_, p) => this._say(trans.__('%1 left the classroom.', p.name)), this);
    roster.participantUpdated.connect((_, { participant: p, previous }) => {
      // Our own room changes are announced as we walk (below), not when confirmed.
      if (p.id !== roster.myId && previous.room !== p.room && p.room) {
        this._say(trans.__('%1 entered %2.', p.name, this._roomName(p.room)));
      }
    }, this);
    avatar.roomEntered.connect((_, room) => {
      this._say(room ? trans.__('You entered %1.', room.name) : trans.__('You are on the open floor.'));
    }, this);
    avatar.roomRefused.connect((_, room) => this._say(Announcements.fullSentence(room, trans)), this);
  }

  /** "Table 3 is full (4 people)." */
  static fullSentence(room: IRoomInfo, trans: TranslationBundle): string {
    return trans._n('%2 is full (%1 person).', '%2 is full (%1 people).', room.capacity ?? 0, room.name);
  }

  get announced(): ISignal<this, string> {
    return this._announced;
  }

  /** Say something that other parts of the classroom did (a screen's tab opened, say). */
  announce(text: string): void {
    this._say(text);
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    Signal.clearData(this);
  }

  private _say(text: string): void {
    this._announced.emit(text);
  }

  private _announced = new Signal<this, string>(this);
  private _disposed = false;
}
