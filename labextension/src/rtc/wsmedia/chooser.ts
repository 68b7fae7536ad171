import { IDisposable } from '@lumino/disposable';

import { PeerManager } from '../peers';
import { RoomConnection } from '../sfu';
import { udpBlocked } from './route';
import { SocketMedia } from './socketmedia';

/** How often the choice is looked at again (ms). */
const LOOK_MS = 1000;

/**
 * The choice of transport in `auto`, without anyone configuring anything:
 * WebRTC while it connects; the media socket once ICE to the server or to a
 * peer has checked for a few seconds without connecting (UDP does not pass
 * here); WebRTC again once the room's WebRTC connection, which the server
 * keeps offering, connects after all.
 */
export class TransportChooser implements IDisposable {
  constructor(
    readonly socket: SocketMedia,
    readonly room: RoomConnection,
    readonly peers: PeerManager
  ) {
    this._timer = window.setInterval(() => this.look(), LOOK_MS);
  }

  get isDisposed(): boolean {
    return this._timer === 0;
  }

  /** Decide again now. */
  look(): void {
    const socket = this.socket;
    if (socket.mode !== 'auto') {
      return;
    }
    if (socket.transport === 'webrtc') {
      if (socket.reason === 'no_webcodecs') {
        return; // told already; nothing else would carry our media
      }
      const now = performance.now();
      const progress = [this.room.ice, ...this.peers.ice];
      if (progress.some(p => p !== null && udpBlocked(p, now))) {
        socket.useWebSocket('udp_blocked');
      }
    } else if (this.room.webrtcState === 'connected') {
      socket.useWebRtc();
    }
  }

  dispose(): void {
    window.clearInterval(this._timer);
    this._timer = 0;
  }

  private _timer: number;
}
