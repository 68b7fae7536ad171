import { Widget } from '@lumino/widgets';

import { ChannelKey } from '../model/chat';
import { parseChat } from '../model/chattext';
import { IChatMessage } from '../protocol';
import { IClassroom } from '../tokens';
import { MAP_CODES, Notice } from './notice';

/** Render a message's text as DOM nodes: never as HTML. */
export function renderChatText(text: string): DocumentFragment {
  const out = document.createDocumentFragment();
  for (const seg of parseChat(text)) {
    switch (seg.kind) {
      case 'text':
        out.appendChild(document.createTextNode(seg.text));
        break;
      case 'code': {
        const code = document.createElement('code');
        code.textContent = seg.text;
        out.appendChild(code);
        break;
      }
      case 'block': {
        const pre = document.createElement('pre');
        const code = document.createElement('code');
        if (seg.language) {
          code.dataset.language = seg.language;
        }
        code.textContent = seg.text;
        pre.appendChild(code);
        out.appendChild(pre);
        break;
      }
      case 'link': {
        const a = document.createElement('a');
        a.href = seg.href;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        a.textContent = seg.text;
        out.appendChild(a);
        break;
      }
    }
  }
  return out;
}

let nextId = 0;

/** Problems with a chosen name or colour: the name form tells of those. */
const PROFILE_CODES = new Set(['bad_name', 'bad_color', 'name_from_host']);

/**
 * Chat with channel tabs: Class, Room, Nearby and one per direct conversation.
 */
export class ChatPane extends Widget {
  constructor(readonly model: IClassroom) {
    super();
    const trans = model.trans;
    this.addClass('jp-Classroom-chat');
    const uid = `jp-Classroom-chat-${nextId++}`;
    this._tabs = document.createElement('div');
    this._tabs.setAttribute('role', 'tablist');
    this._tabs.setAttribute('aria-label', trans.__('Chat channels'));
    this._note = document.createElement('p');
    this._note.className = 'jp-Classroom-note';
    this._log = document.createElement('div');
    this._log.className = 'jp-Classroom-log';
    this._log.id = `${uid}-log`;
    this._log.setAttribute('role', 'log');
    this._log.setAttribute('aria-live', 'polite');
    this._log.tabIndex = 0;
    const form = document.createElement('form');
    form.className = 'jp-Classroom-compose';
    this._label = document.createElement('label');
    this._label.htmlFor = `${uid}-input`;
    this._input = document.createElement('textarea');
    this._input.id = `${uid}-input`;
    this._input.rows = 2;
    this._input.placeholder = trans.__('Message (Enter sends, Shift+Enter for a new line; ``` for code)');
    this._send = document.createElement('button');
    this._send.type = 'submit';
    this._send.className = 'jp-Button jp-mod-styled jp-mod-accept';
    this._send.textContent = trans.__('Send');
    this._error = new Notice();
    form.append(this._label, this._input, this._send);
    this.node.append(this._tabs, this._note, this._log, form, this._error.node);

    form.addEventListener('submit', event => {
      event.preventDefault();
      this._submit();
    });
    this._input.addEventListener('keydown', event => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this._submit();
      }
    });
    model.chat.messagesChanged.connect(this._onChat, this);
    // Our room names a tab; others' names title direct conversations.
    model.roster.participantJoined.connect(this._renderTabs, this);
    model.roster.participantUpdated.connect(this._renderTabs, this);
    model.roster.participantLeft.connect(this._renderTabs, this);
    model.joined.connect(this._renderTabs, this);
    model.classState.changed.connect(this._renderTabs, this);
    model.errorOccurred.connect((_, e) => {
      // The name form says what was wrong with a name or colour; the map,
      // why a room kept us out.
      if (!PROFILE_CODES.has(e.code) && !MAP_CODES.has(e.code)) {
        this._error.show(e.message, e.code);
      }
    });
    // A full room stops mattering once we are in a room or back on the floor.
    model.roster.participantUpdated.connect((_, { participant, previous }) => {
      if (participant.id === model.myId && participant.room !== previous.room) {
        this._error.clear('room_full');
      }
    });
    this._renderTabs();
  }

  /** Show a channel: 'class', 'room', 'nearby' or 'direct:<user>'. */
  showChannel(channel: string): void {
    this._current = channel;
    this._unread.delete(this._key(channel));
    this._renderTabs();
    this._renderLog();
  }

  focusInput(): void {
    this._input.focus();
  }

  private _key(channel: string): ChannelKey {
    if (channel === 'room') {
      const room = this.model.me?.room;
      return room ? `room:${room}` : 'room:';
    }
    return channel;
  }

  private _title(channel: string): string {
    const trans = this.model.trans;
    if (channel === 'class') {
      return trans.__('Class');
    }
    if (channel === 'room') {
      return trans.__('Room');
    }
    if (channel === 'nearby') {
      return trans.__('Nearby');
    }
    return this.model.chat.nameOfUser(channel.slice(7));
  }

  private _onChat(_: unknown, key: ChannelKey): void {
    if (key === this._key(this._current)) {
      this._renderLog();
    } else {
      this._unread.add(key);
      this._renderTabs();
    }
  }

  private _renderTabs(): void {
    const trans = this.model.trans;
    const me = this.model.me;
    const inRoom = !!me?.room;
    const myRoom = this._lastRoom;
    if ((me?.room ?? null) !== myRoom) {
      this._lastRoom = me?.room ?? null;
      if (this._current === 'room') {
        this._renderLog();
      }
    }
    const channels = ['class', 'room', 'nearby', ...this.model.chat.directPeers().map(u => `direct:${u}`)];
    if (this._current.startsWith('direct:') && !channels.includes(this._current)) {
      channels.push(this._current);
    }
    this._tabs.replaceChildren();
    for (const channel of channels) {
      const tab = document.createElement('button');
      tab.setAttribute('role', 'tab');
      tab.className = 'jp-Classroom-tab';
      tab.dataset.channel = channel;
      const selected = channel === this._current;
      tab.setAttribute('aria-selected', String(selected));
      tab.setAttribute('aria-controls', this._log.id);
      tab.tabIndex = selected ? 0 : -1;
      let title = this._title(channel);
      if (channel === 'room' && inRoom) {
        title = trans.__('Room: %1', this.model.roomName(me!.room));
      }
      tab.textContent = title;
      if (this._unread.has(this._key(channel))) {
        tab.classList.add('jp-mod-unread');
        tab.setAttribute('aria-label', trans.__('%1, new messages', title));
      }
      tab.addEventListener('click', () => this.showChannel(channel));
      tab.addEventListener('keydown', event => {
        const i = channels.indexOf(channel);
        const next =
          event.key === 'ArrowRight'
            ? channels[(i + 1) % channels.length]
            : event.key === 'ArrowLeft'
              ? channels[(i - 1 + channels.length) % channels.length]
              : null;
        if (next) {
          event.preventDefault();
          this.showChannel(next);
          this._tabs.querySelector<HTMLElement>(`[data-channel="${CSS.escape(next)}"]`)?.focus();
        }
      });
      this._tabs.appendChild(tab);
    }
    const title = this._current === 'room' && inRoom ? this.model.roomName(me!.room) : this._title(this._current);
    this._label.textContent = trans.__('Message to %1', title);
    const outside = this._current === 'room' && !inRoom;
    const locked = this._locked();
    const disabled = outside || locked;
    this._input.disabled = disabled;
    this._send.disabled = disabled;
    this._input.maxLength = this.model.config?.max_chat_length ?? 4000;
    this._note.dataset.locked = String(locked);
    this._note.textContent = locked
      ? trans.__('An instructor locked the chat: you can still write to an instructor directly.')
      : this._current === 'nearby'
        ? trans.__('Nearby messages reach the people within earshot and are not saved.')
        : outside
          ? trans.__('You are not in a room: walk onto a table or the stage to talk with the people there.')
          : this._current === 'class'
            ? trans.__('Everyone in the classroom sees these messages.')
            : '';
    if (!locked) {
      this._error.clear('locked');
    }
  }

  /** Whether the chat is locked for us here: students may still write to an instructor. */
  private _locked(): boolean {
    const me = this.model.me;
    if (!this.model.classState.state?.locks.chat || !me || me.role === 'instructor') {
      return false;
    }
    const user = this._current.startsWith('direct:') ? this._current.slice(7) : null;
    const them = user ? [...this.model.roster.participants.values()].find(p => p.user === user) : undefined;
    return them?.role !== 'instructor';
  }

  private _renderLog(): void {
    const messages = this.model.chat.messages(this._key(this._current));
    const stick = this._log.scrollTop + this._log.clientHeight >= this._log.scrollHeight - 4;
    this._log.replaceChildren(...messages.map(m => this._renderMessage(m)));
    if (!messages.length) {
      const empty = document.createElement('p');
      empty.className = 'jp-Classroom-empty';
      empty.textContent = this.model.trans.__('No messages yet.');
      this._log.appendChild(empty);
    }
    if (stick) {
      this._log.scrollTop = this._log.scrollHeight;
    }
  }

  private _renderMessage(m: IChatMessage): HTMLElement {
    const item = document.createElement('article');
    item.className = 'jp-Classroom-message';
    const head = document.createElement('header');
    const author = document.createElement('span');
    author.className = 'jp-Classroom-author';
    author.textContent = m.sender_name;
    const time = document.createElement('time');
    const date = new Date(m.ts);
    time.dateTime = date.toISOString();
    time.title = date.toLocaleString();
    time.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    head.append(author, ' ', time);
    const body = document.createElement('div');
    body.className = 'jp-Classroom-text';
    body.appendChild(renderChatText(m.text));
    item.append(head, body);
    return item;
  }

  private _submit(): void {
    const text = this._input.value.trim();
    if (!text) {
      return;
    }
    const problem = this.model.chat.send(this._key(this._current), text);
    if (problem) {
      this._error.show(problem.message, problem.code);
      return;
    }
    this._error.clear();
    this._input.value = '';
  }

  private _tabs: HTMLDivElement;
  private _note: HTMLParagraphElement;
  private _log: HTMLDivElement;
  private _label: HTMLLabelElement;
  private _input: HTMLTextAreaElement;
  private _send: HTMLButtonElement;
  private _error: Notice;
  private _current = 'class';
  private _lastRoom: string | null = null;
  private _unread = new Set<ChannelKey>();
}
