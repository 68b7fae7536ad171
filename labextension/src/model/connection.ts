import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  CLOSE_CLASSROOM_FULL,
  CLOSE_INVITATION_ENDED,
  CLOSE_PROTOCOL_VERSION,
  CLOSE_REPLACED,
  CLOSE_SERVER_SHUTDOWN,
  CLOSE_TOO_MANY_CONNECTIONS,
  CLOSE_TOO_SLOW,
  ClientMessage,
  ServerMessage
} from '../protocol';
import { ReconnectSchedule } from './reconnect';

/** The server message with a given `type`. */
export type MessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/**
 * `unreachable`: the tries on our own are spent (see `ReconnectSchedule`);
 * nothing more happens until `reconnectNow()`.
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'unreachable' | 'closed';

export interface IConnectionState {
  status: ConnectionStatus;
  /** When reconnecting: milliseconds until the next attempt. */
  retryIn?: number;
  /** Why the connection is closed or reconnecting, for people. */
  reason?: string;
}

/**
 * Thrown by the URL function when there is no classroom to connect to (the
 * person belongs to none, or may not use it): trying again cannot help.
 */
export class ClassroomUnavailable extends Error {}

/** Where the socket connects: a URL, or one found asynchronously (on a hub). */
export type SocketUrl = () => string | Promise<string>;

/** Why reconnecting cannot help after a close code, or null if it can. */
function finalReason(code: number, trans: TranslationBundle, reason = ''): string | null {
  switch (code) {
    case CLOSE_INVITATION_ENDED:
      return reason.includes('expired')
        ? trans.__('Your invitation has expired: ask for a new one.')
        : trans.__('Your invitation was revoked: ask for a new one.');
    case CLOSE_CLASSROOM_FULL:
      return trans.__('The classroom is full.');
    case CLOSE_PROTOCOL_VERSION:
      return trans.__('The classroom was updated on the server: reload the page.');
    case CLOSE_REPLACED:
      return trans.__('You joined the classroom from another connection.');
    case CLOSE_TOO_MANY_CONNECTIONS:
      return trans.__(
        'You are in the classroom in too many tabs or windows: close one of them, then reload this page.'
      );
  }
  return null;
}

/** Why the connection dropped, in words people use (the close code goes to the console). */
export function reasonFor(code: number, trans: TranslationBundle): string {
  switch (code) {
    case CLOSE_SERVER_SHUTDOWN:
      return trans.__('The server is restarting.');
    case CLOSE_TOO_SLOW:
      return trans.__('The connection could not keep up with the classroom.');
    case 1011:
    case 1013:
      return trans.__('The server ran into a problem.');
    default:
      // 1005 (no reason given), 1006 (dropped), 1001 (going away) and the
      // rest all mean the same to the person at the keyboard.
      return trans.__('The connection to the server was lost.');
  }
}

/**
 * The classroom WebSocket, reconnecting with backoff after a drop.
 */
export class ClassroomConnection implements IDisposable {
  constructor(
    private readonly _url: SocketUrl,
    private readonly _trans: TranslationBundle = nullTranslator.load('jupyterlab_classroom'),
    private readonly _schedule: ReconnectSchedule = new ReconnectSchedule()
  ) {}

  /** Every message, after the handlers registered with `on` for its type. */
  get messageReceived(): ISignal<this, ServerMessage> {
    return this._messageReceived;
  }

  /**
   * Handle one type of server message. Handlers run in the order they were
   * added; one that throws is logged and the others still run. Dispose the
   * result to stop.
   */
  on<T extends ServerMessage['type']>(type: T, handler: (message: MessageOf<T>) => void): IDisposable {
    let handlers = this._handlers.get(type);
    if (!handlers) {
      handlers = new Set();
      this._handlers.set(type, handlers);
    }
    const entry = handler as (message: ServerMessage) => void;
    handlers.add(entry);
    return new DisposableDelegate(() => {
      this._handlers.get(type)?.delete(entry);
    });
  }

  /** Hand a message to its handlers (the socket does this for each message it receives). */
  dispatch(message: ServerMessage): void {
    const handlers = this._handlers.get(message.type);
    if (handlers) {
      // A copy: a handler may add or remove handlers.
      for (const handler of [...handlers]) {
        try {
          handler(message);
        } catch (error) {
          console.error(`classroom: a handler of '${message.type}' failed`, error);
        }
      }
    }
    this._messageReceived.emit(message);
  }

  /** Emitted when a socket opens: the owner sends `join` then. */
  get opened(): ISignal<this, void> {
    return this._opened;
  }

  get stateChanged(): ISignal<this, IConnectionState> {
    return this._stateChanged;
  }

  get state(): IConnectionState {
    return this._state;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The URL of the socket opened last (null before the first): the media socket's sits beside it. */
  get url(): string | null {
    return this._openedUrl;
  }

  connect(): void {
    if (this._disposed || this._socket || this._locating) {
      return;
    }
    this._clearTimer();
    this._setState({ status: this._everOpened || this._schedule.attempts ? 'reconnecting' : 'connecting' });
    let url: string | Promise<string>;
    try {
      url = this._url();
    } catch (error) {
      this._notFound(error);
      return;
    }
    if (typeof url === 'string') {
      this._open(url);
      return;
    }
    this._locating = true;
    url.then(
      found => {
        this._locating = false;
        if (!this._disposed) {
          this._open(found);
        }
      },
      error => {
        this._locating = false;
        if (!this._disposed) {
          this._notFound(error);
        }
      }
    );
  }

  /** The URL function failed: closed for good, or try again later. */
  private _notFound(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof ClassroomUnavailable) {
      this._setState({ status: 'closed', reason });
    } else {
      this._scheduleReconnect(reason);
    }
  }

  private _open(url: string): void {
    const socket = new WebSocket(url);
    this._openedUrl = url;
    this._socket = socket;
    socket.onopen = () => {
      this._schedule.succeeded();
      this._everOpened = true;
      this._restarting = false;
      this._setState({ status: 'connected' });
      this._opened.emit();
    };
    socket.onmessage = (event: MessageEvent) => {
      let message: ServerMessage;
      try {
        message = JSON.parse(event.data as string) as ServerMessage;
      } catch {
        console.warn('classroom: ignoring a message that is not JSON');
        return;
      }
      this.dispatch(message);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this._socket !== socket) {
        return;
      }
      this._socket = null;
      if (this._disposed) {
        return;
      }
      if (event.code !== 1000) {
        console.info(`classroom: the connection closed (code ${event.code})`);
      }
      if (event.code === CLOSE_SERVER_SHUTDOWN) {
        this._restarting = true;
      }
      const final = finalReason(event.code, this._trans, event.reason);
      if (final) {
        this._setState({ status: 'closed', reason: final });
        return;
      }
      this._scheduleReconnect(reasonFor(event.code, this._trans));
    };
  }

  /** Skip the wait and try again now; after giving up, with a fresh budget of tries. */
  reconnectNow(): void {
    if (!this._socket && !this._locating && this._state.status !== 'closed') {
      if (this._schedule.gaveUp) {
        this._schedule.retry();
      }
      this.connect();
    }
  }

  send(message: ClientMessage): boolean {
    if (this._socket && this._socket.readyState === WebSocket.OPEN) {
      this._socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._clearTimer();
    const socket = this._socket;
    this._socket = null;
    socket?.close(1000, 'left the classroom');
    this._handlers.clear();
    Signal.clearData(this);
  }

  private _scheduleReconnect(reason: string): void {
    const step = this._schedule.failed(Date.now(), this._restarting);
    if (step.kind === 'give-up') {
      console.info(`classroom: no answer after ${step.attempts} tries; waiting for Retry`);
      this._setState({ status: 'unreachable', reason });
      return;
    }
    const delay = step.delay;
    this._setState({ status: 'reconnecting', retryIn: delay, reason });
    this._timer = window.setTimeout(() => {
      this._timer = 0;
      this.connect();
    }, delay);
  }

  private _clearTimer(): void {
    if (this._timer) {
      window.clearTimeout(this._timer);
      this._timer = 0;
    }
  }

  private _setState(state: IConnectionState): void {
    this._state = state;
    this._stateChanged.emit(state);
  }

  private _handlers = new Map<string, Set<(message: ServerMessage) => void>>();
  private _socket: WebSocket | null = null;
  private _openedUrl: string | null = null;
  /** The URL function's promise is pending. */
  private _locating = false;
  private _everOpened = false;
  // The server said it was shutting down: it is likely restarting.
  private _restarting = false;
  private _timer = 0;
  private _disposed = false;
  private _state: IConnectionState = { status: 'closed' };
  private _messageReceived = new Signal<this, ServerMessage>(this);
  private _opened = new Signal<this, void>(this);
  private _stateChanged = new Signal<this, IConnectionState>(this);
}
