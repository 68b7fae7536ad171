import { TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ChatChannel, ErrorCode, IChatMessage } from '../protocol';
import type { IChat } from '../tokens';
import { ClassroomConnection } from './connection';
import { Roster } from './roster';

/** A chat channel key: 'class', 'nearby', 'room:<id>' or 'direct:<username>'. */
export type ChannelKey = string;

/** Fewest messages kept per channel, whatever the server's history size. */
const MIN_KEPT = 200;

export interface IChatProblem {
  code: ErrorCode;
  message: string;
}

/** What was said, by channel: the server's history plus what arrives live. */
export class ChatStore implements IChat {
  constructor(
    readonly connection: ClassroomConnection,
    readonly roster: Roster,
    private readonly _trans: TranslationBundle
  ) {
    this._listeners = [
      connection.on('chat', m => this._add(this._keyOf(m.message), [m.message], false)),
      connection.on('chat_history', m => {
        const key = m.channel === 'room' ? `room:${m.room}` : m.channel === 'direct' ? `direct:${m.peer}` : m.channel;
        this._add(key, m.messages, true);
      })
    ];
  }

  /** A channel got messages (the key says which). */
  get messagesChanged(): ISignal<this, ChannelKey> {
    return this._messagesChanged;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** How many messages the server keeps per channel (from its welcome). */
  historySize = 100;

  messages(key: ChannelKey): IChatMessage[] {
    return this._channels.get(key) ?? [];
  }

  /** Direct conversations, by the other person's username, oldest first. */
  directPeers(): string[] {
    return [...this._channels.keys()].filter(k => k.startsWith('direct:')).map(k => k.slice(7));
  }

  /** The display name of a user, from whoever of them is here or their messages. */
  nameOfUser(user: string): string {
    for (const p of this.roster.participants.values()) {
      if (p.user === user) {
        return p.name;
      }
    }
    for (const m of this.messages(`direct:${user}`)) {
      if (m.sender_user === user) {
        return m.sender_name;
      }
      if (m.to_user === user && m.to_name) {
        return m.to_name;
      }
    }
    return user;
  }

  /** Post to a channel key; 'direct:<user>' needs that user to be here. */
  send(key: ChannelKey, text: string): IChatProblem | null {
    const trans = this._trans;
    let channel: ChatChannel;
    let to: string | undefined;
    if (key === 'class' || key === 'nearby') {
      channel = key;
    } else if (key.startsWith('room:')) {
      channel = 'room';
    } else if (key.startsWith('direct:')) {
      channel = 'direct';
      const user = key.slice(7);
      const myId = this.roster.myId;
      const peer = [...this.roster.participants.values()].find(p => p.user === user && p.id !== myId);
      if (!peer) {
        return {
          code: 'unknown_participant',
          message: trans.__('%1 is not in the classroom right now.', this.nameOfUser(user))
        };
      }
      to = peer.id;
    } else {
      return { code: 'bad_message', message: trans.__('Unknown channel.') };
    }
    if (!this.connection.send({ type: 'chat_send', channel, text, ...(to ? { to } : {}) })) {
      return { code: 'internal', message: trans.__('Not connected: the message was not sent.') };
    }
    return null;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._listeners.forEach(l => l.dispose());
    Signal.clearData(this);
  }

  private _add(key: ChannelKey, messages: IChatMessage[], replace: boolean): void {
    const list = replace ? [...messages] : [...(this._channels.get(key) ?? []), ...messages];
    // Live messages are kept a little longer than the server's history.
    this._channels.set(key, list.slice(-Math.max(this.historySize, MIN_KEPT)));
    this._messagesChanged.emit(key);
  }

  private _keyOf(m: IChatMessage): ChannelKey {
    if (m.channel === 'room') {
      return `room:${m.room}`;
    }
    if (m.channel === 'direct') {
      const meUser = this.roster.me?.user;
      return `direct:${m.sender_user === meUser ? m.to_user : m.sender_user}`;
    }
    return m.channel;
  }

  private _listeners: IDisposable[];
  private _channels = new Map<ChannelKey, IChatMessage[]>();
  private _disposed = false;
  private _messagesChanged = new Signal<this, ChannelKey>(this);
}
