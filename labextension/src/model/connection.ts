import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  CLOSE_CLASSROOM_FULL,
  CLOSE_PROTOCOL_VERSION,
  CLOSE_REPLACED,
  CLOSE_SERVER_SHUTDOWN,
  CLOSE_TOO_MANY_CONNECTIONS,
  CLOSE_TOO_SLOW,
  ClientMessage,
  ServerMessage
} from '../protocol';
import { backoffDelay } from './geometry';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface IConnectionState {
  status: ConnectionStatus;
  /** When reconnecting: milliseconds until the next attempt. */
  retryIn?: number;
  /** Why the connection is closed or reconnecting, for people. */
  reason?: string;
}

/** Close codes after which reconnecting cannot help. */
const FINAL_CLOSES: Record<number, string> = {
  [CLOSE_CLASSROOM_FULL]: 'The classroom is full.',
  [CLOSE_PROTOCOL_VERSION]: 'The classroom was updated on the server: reload the page.',
  [CLOSE_REPLACED]: 'You joined the classroom from another connection.',
  [CLOSE_TOO_MANY_CONNECTIONS]:
    'You are in the classroom in too many tabs or windows: close one of them, then reload this page.'
};

function reasonFor(code: number): string {
  if (code === CLOSE_SERVER_SHUTDOWN) {
    return 'The server is restarting.';
  }
  if (code === CLOSE_TOO_SLOW) {
    return 'The connection could not keep up with the classroom.';
  }
  if (code === 1006) {
    return 'The connection to the server was lost.';
  }
  return `The connection closed (code ${code}).`;
}

/**
 * The classroom WebSocket, reconnecting with backoff after a drop.
 */
export class ClassroomConnection implements IDisposable {
  constructor(private readonly _url: () => string) {}

  get messageReceived(): ISignal<this, ServerMessage> {
    return this._messageReceived;
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

  connect(): void {
    if (this._disposed || this._socket) {
      return;
    }
    this._clearTimer();
    this._setState({ status: this._attempt ? 'reconnecting' : 'connecting' });
    const socket = new WebSocket(this._url());
    this._socket = socket;
    socket.onopen = () => {
      this._attempt = 0;
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
      this._messageReceived.emit(message);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this._socket !== socket) {
        return;
      }
      this._socket = null;
      if (this._disposed) {
        return;
      }
      const final = FINAL_CLOSES[event.code];
      if (final) {
        this._setState({ status: 'closed', reason: final });
        return;
      }
      this._scheduleReconnect(reasonFor(event.code));
    };
  }

  /** Skip the wait and try again now. */
  reconnectNow(): void {
    if (!this._socket) {
      this._attempt = Math.max(this._attempt, 1);
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
    Signal.clearData(this);
  }

  private _scheduleReconnect(reason: string): void {
    const delay = backoffDelay(this._attempt);
    this._attempt += 1;
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

  private _socket: WebSocket | null = null;
  private _attempt = 0;
  private _timer = 0;
  private _disposed = false;
  private _state: IConnectionState = { status: 'closed' };
  private _messageReceived = new Signal<this, ServerMessage>(this);
  private _opened = new Signal<this, void>(this);
  private _stateChanged = new Signal<this, IConnectionState>(this);
}
