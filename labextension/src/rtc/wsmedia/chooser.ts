import { IDisposable } from '@lumino/disposable';

import { IUdpProbeOffer } from '../../protocol';
import { IClassroom } from '../../tokens';
import { PeerManager } from '../peers';
import { RoomConnection } from '../sfu';
import { PROBE_INTERVAL_MS, PROBE_TIMEOUT_MS, probeDue } from './probe';
import { udpBlocked } from './route';
import { SocketMedia } from './socketmedia';

/** How often the choice is looked at again (ms). */
const LOOK_MS = 1000;
/** How long the answer waits for ICE gathering to complete (ms): the probe takes no trickled candidates. */
const GATHER_MS = 5000;

/**
 * The choice of transport in `auto`, without anyone configuring anything:
 * WebRTC while it connects; the media socket once ICE to the server or to a
 * peer has checked for a few seconds without connecting (UDP does not pass
 * here); WebRTC again once a UDP probe (a connection with the server
 * carrying only a data channel, asked for every `probeInterval`) connects.
 */
export class TransportChooser implements IDisposable {
  constructor(
    readonly socket: SocketMedia,
    readonly room: RoomConnection,
    readonly peers: PeerManager
  ) {
    this._timer = window.setInterval(() => this.look(), LOOK_MS);
  }

  /** Between two UDP probes (ms; the tests shorten it). */
  probeInterval = PROBE_INTERVAL_MS;
  /** UDP probes asked for, and those that connected (diagnostics, tests). */
  readonly probes = { asked: 0, connected: 0 };

  get isDisposed(): boolean {
    return this._timer === 0;
  }

  /** Whether a UDP probe is under way. */
  get probing(): boolean {
    return this._probe !== null;
  }

  /** Decide again now. */
  look(): void {
    const socket = this.socket;
    if (socket.mode !== 'auto') {
      return;
    }
    const now = performance.now();
    if (socket.transport === 'webrtc') {
      if (socket.reason === 'no_webcodecs') {
        return; // told already; nothing else would carry our media
      }
      const progress = [this.room.ice, ...this.peers.ice];
      if (progress.some(p => p !== null && udpBlocked(p, now))) {
        socket.useWebSocket('udp_blocked');
        this._since = now;
      }
    } else if (this.room.webrtcState === 'connected') {
      socket.useWebRtc();
    } else if (
      probeDue(
        {
          mode: socket.mode,
          transport: socket.transport,
          reason: socket.reason,
          running: this._probe !== null,
          since: this._since
        },
        now,
        this.probeInterval
      )
    ) {
      this._startProbe(now);
    }
  }

  dispose(): void {
    window.clearInterval(this._timer);
    this._timer = 0;
    this._probe?.end(false);
  }

  private _startProbe(now: number): void {
    const model = this.room.model;
    const id = model.requestUdpProbe();
    if (id === null) {
      return;
    }
    this._since = now;
    this.probes.asked++;
    this._probe = new UdpProbe(model, id, connected => {
      this._probe = null;
      if (connected) {
        this.probes.connected++;
      }
      // Still where the probe was meant for: UDP passes again, WebRTC it is.
      const socket = this.socket;
      if (connected && socket.mode === 'auto' && socket.transport === 'websocket' && socket.reason === 'udp_blocked') {
        socket.useWebRtc();
      }
    });
  }

  private _timer: number;
  private _probe: UdpProbe | null = null;
  /** When we last asked for a probe or fell back to the socket (ms). */
  private _since: number | null = null;
}

/**
 * Our end of one UDP probe: answer the server's offer (with every
 * candidate in the SDP), see whether ICE and DTLS get through, close.
 */
class UdpProbe {
  constructor(
    readonly model: IClassroom,
    readonly request: number,
    private readonly _ended: (connected: boolean) => void
  ) {
    const connection = model.connection;
    this._wires = [
      connection.on('udp_probe_offer', m => {
        if (m.id === request) {
          void this._answer(m).catch(error => {
            console.warn('classroom: UDP probe', error);
            this.end(false);
          });
        }
      }),
      connection.on('udp_probe_closed', m => {
        if (m.probe === this._number) {
          this.end(m.connected || this._connected);
        }
      }),
      connection.on('error', m => {
        if (m.id === request) {
          this.end(false);
        }
      }),
      // A new session: the server forgot this probe.
      connection.on('welcome', () => this.end(false))
    ];
    this._timeout = window.setTimeout(() => this.end(false), PROBE_TIMEOUT_MS);
  }

  /** Close everything; idempotent. */
  end(connected: boolean): void {
    if (this._done) {
      return;
    }
    this._done = true;
    window.clearTimeout(this._timeout);
    this._wires.forEach(w => w.dispose());
    const pc = this._pc;
    if (pc) {
      pc.onconnectionstatechange = null;
      pc.close();
    }
    this._pc = null;
    this._ended(connected);
  }

  private async _answer(offer: IUdpProbeOffer): Promise<void> {
    this._number = offer.probe;
    const pc = new RTCPeerConnection({ iceServers: this.model.iceServers as RTCIceServer[] });
    this._pc = pc;
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') {
        this._connected = true;
        this.end(true);
      }
    };
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.description.sdp ?? '' });
    await pc.setLocalDescription();
    await gathered(pc, GATHER_MS);
    if (this._done) {
      return;
    }
    this.model.connection.send({
      type: 'udp_probe_answer',
      probe: offer.probe,
      description: { type: 'answer', sdp: pc.localDescription?.sdp ?? null }
    });
  }

  private _wires: IDisposable[];
  private _pc: RTCPeerConnection | null = null;
  private _number: number | null = null;
  private _connected = false;
  private _done = false;
  private _timeout: number;
}

/** Resolves once `pc` has gathered its ICE candidates, or after `ms` (with what it has). */
function gathered(pc: RTCPeerConnection, ms: number): Promise<void> {
  return new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') {
      resolve();
      return;
    }
    const timer = window.setTimeout(done, ms);
    function done(): void {
      window.clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    function check(): void {
      if (pc.iceGatheringState === 'complete') {
        done();
      }
    }
    pc.addEventListener('icegatheringstatechange', check);
  });
}
