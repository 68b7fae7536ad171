import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IShownTile, ISfuOffer, ISfuPublication, ISfuTrack, TrackSource } from '../protocol';
import { IClassroom, IRoomConnection } from '../tokens';
import { LocalMedia } from './media';
import { AudioMixer } from './mixer';
import { IRemoteMedia } from './peers';
import { sameReport } from './shown';
import { sendSfuAnswer, sendSfuCandidate } from './signaling';
import { IMediaStats, summarize } from './stats';
import { IIceProgress } from './wsmedia/route';
import { SocketMedia } from './wsmedia/socketmedia';

export type RoomConnectionState = 'none' | 'connecting' | 'connected' | 'failed';

/** Upper bounds for what we send to the server (it forwards it to every member). */
const MAX_BITRATE: Partial<Record<TrackSource, number>> = {
  camera: 1_000_000,
  screen_share: 2_500_000
};

/**
 * This browser's connection with the server's SFU, for the rooms' conferences.
 *
 * The server makes every offer: the first one names where to send the
 * microphone, camera and screen (we switch them with `replaceTrack`, so
 * turning the camera on needs no negotiation), and every transceiver the
 * server sends on is told by `sfu_tracks` whose track it carries, so moving
 * from one room to another re-routes tracks on the same connection.
 *
 * We tell the server which of the room's videos we show (`shown`), whichever
 * way they come: it sends no others (over the media socket, a small tile
 * gets a camera's small layer). It tells us when nobody watches one of ours
 * (`sfu_sending`): we stop encoding it until someone does; and which videos
 * it holds back from us because our link does not carry them (`sfu_held`),
 * for the tiles to say so.
 */
export class RoomConnection implements IRoomConnection {
  constructor(
    readonly model: IClassroom,
    readonly media: LocalMedia,
    readonly mixer: AudioMixer,
    readonly socket: SocketMedia
  ) {
    socket.changed.connect(() => {
      this._socketChanged();
      this._changed.emit();
    }, this);
    this._wires = [
      model.connection.on('sfu_offer', offer => this._enqueue(() => this._onOffer(offer))),
      model.connection.on('sfu_tracks', m => {
        if (m.connection === this._number) {
          this._setTracks(m.tracks);
        }
      }),
      model.connection.on('sfu_closed', m => {
        if (m.connection === this._number) {
          this._close();
        }
      }),
      model.connection.on('sfu_held', m => {
        if (m.connection === this._number) {
          this._heldMids = new Set(m.mids);
          this._changed.emit();
        }
      }),
      model.connection.on('media_held', m => {
        this._socketHeld = new Set(m.videos.map(v => `${v.participant}:${v.source}`));
        this._changed.emit();
      }),
      model.connection.on('sfu_sending', m => {
        if (m.connection === this._number) {
          if (m.active) {
            this._unsent.delete(m.source);
          } else {
            this._unsent.add(m.source);
          }
          this._enqueue(() => this._applyEncodings());
        }
      })
    ];
    // A new session (after a reconnect) starts a new connection.
    model.joined.connect(() => {
      // A new session's relay holds nothing back yet.
      this._socketHeld = new Set<string>();
      this._close();
    }, this);
    media.changed.connect(() => this._enqueue(() => this._publish()), this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  get state(): RoomConnectionState {
    if (this.socket.transport === 'websocket') {
      return this.socket.open ? 'connected' : 'connecting';
    }
    return this.webrtcState;
  }

  /** The state of the WebRTC connection itself, whichever transport is in use. */
  get webrtcState(): RoomConnectionState {
    const pc = this._pc;
    if (!pc) {
      return 'none';
    }
    switch (pc.connectionState) {
      case 'connected':
        return 'connected';
      case 'failed':
      case 'closed':
        return 'failed';
      default:
        return 'connecting';
    }
  }

  /** What each person in our room sends us, by participant id. */
  get remote(): ReadonlyMap<string, IRemoteMedia> {
    if (this.socket.transport === 'websocket') {
      const room = this.model.me?.room ?? null;
      const members = [...this.socket.remote].filter(
        ([pid]) => room !== null && this.model.roster.get(pid)?.room === room
      );
      return new Map(members);
    }
    return this._remote;
  }

  /**
   * The room's videos (`participant:source`) the server holds back because
   * our link does not carry them: the room connection's (`sfu_held`), or
   * over the media socket the relay's (`media_held`).
   */
  get held(): ReadonlySet<string> {
    if (this.socket.transport === 'websocket') {
      return this._socketHeld;
    }
    const held = new Set<string>();
    for (const mid of this._heldMids) {
      const carries = this._tracks.get(mid);
      if (carries) {
        held.add(`${carries.participant}:${carries.source}`);
      }
    }
    return held;
  }

  /** How far ICE got with the server (for the automatic choice of transport). */
  get ice(): IIceProgress | null {
    const pc = this._pc;
    if (!pc) {
      return null;
    }
    const state = pc.iceConnectionState;
    return {
      checkingSince: this._checkingSince,
      failed: state === 'failed',
      connected: state === 'connected' || state === 'completed'
    };
  }

  /** Whether we encode a source now (null: not sending it at all); for tests and diagnostics. */
  encodingActive(source: TrackSource): boolean | null {
    const publication = this._publications.find(p => p.source === source);
    const sender = publication ? this._transceiver(publication.mid)?.sender : undefined;
    if (!sender?.track) {
      return null;
    }
    return sender.getParameters().encodings?.[0]?.active ?? true;
  }

  /** The room's videos we show now (sent to the server when that changes). */
  setShown(tiles: IShownTile[], renew = false): void {
    this._shown = tiles;
    if (renew) {
      this._sentShown = null;
    }
    this._sendShown();
  }

  /** Inbound statistics of what a person sends us through the room (tests, diagnostics). */
  async stats(pid: string): Promise<IMediaStats> {
    if (this.socket.transport === 'websocket') {
      return this.socket.stats(pid);
    }
    const pc = this._pc;
    const reports: RTCStatsReport[] = [];
    if (pc) {
      for (const t of pc.getTransceivers()) {
        const carries = t.mid ? this._tracks.get(t.mid) : undefined;
        if (carries?.participant === pid) {
          reports.push(await t.receiver.getStats());
        }
      }
    }
    return summarize(reports);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._wires.forEach(w => w.dispose());
    this._close();
    Signal.clearData(this);
  }

  // -- signaling -----------------------------------------------------------

  /** Offers and track changes are applied one at a time, in order. */
  private _enqueue(step: () => Promise<void>): void {
    this._queue = this._queue.then(step).catch(error => {
      console.warn('classroom: room connection', error);
      this._changed.emit();
    });
  }

  private async _onOffer(offer: ISfuOffer): Promise<void> {
    if (offer.connection !== this._number || !this._pc) {
      this._close();
      this._open(offer.connection);
    }
    const pc = this._pc!;
    const number = this._number!;
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.description.sdp ?? '' });
    if (number !== this._number) {
      return;
    }
    this._publications = offer.publish;
    for (const publication of offer.publish) {
      const transceiver = this._transceiver(publication.mid);
      if (transceiver) {
        transceiver.direction = 'sendonly';
      }
    }
    await this._publish();
    await pc.setLocalDescription();
    this._setTracks(offer.tracks);
    sendSfuAnswer(this.model.connection, number, pc.localDescription!.toJSON());
    this._sendShown();
    await this._applyEncodings();
  }

  /** Over the media socket the server relays our room's videos: a socket just opened is told what we show. */
  private _socketChanged(): void {
    const open = this._viaSocket();
    if (open !== this._socketOpen) {
      this._socketOpen = open;
      this._sentShown = null;
      this._sendShown();
    }
  }

  private _viaSocket(): boolean {
    return this.socket.transport === 'websocket' && this.socket.open;
  }

  private _sendShown(): void {
    const tiles = this._shown;
    const connected = this._number !== null || this._viaSocket();
    if (tiles === null || !connected || sameReport(this._sentShown, tiles)) {
      return;
    }
    this._sentShown = tiles;
    this.model.connection.send({ type: 'shown', tiles });
  }

  private _open(number: number): void {
    const pc = new RTCPeerConnection({
      iceServers: this.model.iceServers as RTCIceServer[],
      bundlePolicy: 'max-bundle'
    });
    this._pc = pc;
    this._number = number;
    pc.onicecandidate = ({ candidate }) => {
      sendSfuCandidate(this.model.connection, number, candidate ? candidate.toJSON() : null);
    };
    pc.ontrack = ({ transceiver, track }) => {
      if (transceiver.mid) {
        this._received.set(transceiver.mid, track);
        this._update();
      }
    };
    pc.onconnectionstatechange = () => this._changed.emit();
    this._checkingSince = null;
    pc.oniceconnectionstatechange = () => {
      const state = pc.iceConnectionState;
      if (state === 'checking' && this._checkingSince === null) {
        this._checkingSince = performance.now();
      } else if (state === 'connected' || state === 'completed') {
        this._checkingSince = null;
      }
      this._changed.emit();
    };
  }

  private _close(): void {
    const pc = this._pc;
    if (pc) {
      pc.onicecandidate = null;
      pc.ontrack = null;
      pc.onconnectionstatechange = null;
      pc.oniceconnectionstatechange = null;
      pc.close();
    }
    this._pc = null;
    this._number = null;
    this._sentShown = null;
    this._unsent.clear();
    this._heldMids.clear();
    this._publications = [];
    this._tracks.clear();
    this._received.clear();
    this._streams.clear();
    this._update();
  }

  private _transceiver(mid: string): RTCRtpTransceiver | undefined {
    return this._pc?.getTransceivers().find(t => t.mid === mid);
  }

  // -- what we send --------------------------------------------------------

  private _localTrack(source: TrackSource): MediaStreamTrack | null {
    switch (source) {
      case 'microphone':
        return this.media.micTrack;
      case 'camera':
        return this.media.cameraTrack;
      case 'screen_share':
        return this.media.screenTrack;
    }
  }

  /** Send each local track on its transceiver (no renegotiation needed). */
  private async _publish(): Promise<void> {
    for (const publication of this._publications) {
      const sender = this._transceiver(publication.mid)?.sender;
      const track = this._localTrack(publication.source);
      if (sender && sender.track !== track) {
        await sender.replaceTrack(track);
      }
    }
    await this._applyEncodings();
  }

  /** Each sender's bitrate limit, and whether it encodes at all (not while nobody watches). */
  private async _applyEncodings(): Promise<void> {
    for (const publication of this._publications) {
      const limit = MAX_BITRATE[publication.source];
      const sender = this._transceiver(publication.mid)?.sender;
      if (!sender || !sender.track) {
        continue;
      }
      const parameters = sender.getParameters();
      const encoding = parameters.encodings?.[0];
      const active = !this._unsent.has(publication.source);
      if (!encoding || ((!limit || encoding.maxBitrate === limit) && (encoding.active ?? true) === active)) {
        continue;
      }
      if (limit) {
        encoding.maxBitrate = limit;
      }
      encoding.active = active;
      await sender.setParameters(parameters).catch(() => undefined);
    }
  }

  // -- what we receive -----------------------------------------------------

  private _setTracks(tracks: ISfuTrack[]): void {
    this._tracks = new Map(tracks.map(t => [t.mid, t]));
    this._update();
  }

  private _stream(mid: string, track: MediaStreamTrack): MediaStream {
    let stream = this._streams.get(mid);
    if (!stream || stream.getTracks()[0] !== track) {
      stream = new MediaStream([track]);
      this._streams.set(mid, stream);
    }
    return stream;
  }

  /** Rebuild who sends what from the transceivers and what the server says they carry. */
  private _update(): void {
    const remote = new Map<string, IRemoteMedia>();
    for (const [mid, carries] of this._tracks) {
      const track = this._received.get(mid);
      if (!track) {
        continue;
      }
      let media = remote.get(carries.participant);
      if (!media) {
        media = { audio: null, camera: null, screen: null };
        remote.set(carries.participant, media);
      }
      const key = carries.source === 'microphone' ? 'audio' : carries.source === 'camera' ? 'camera' : 'screen';
      media[key] = this._stream(mid, track);
    }
    for (const pid of this._remote.keys()) {
      if (!remote.get(pid)?.audio) {
        this.mixer.detach('room', pid);
      }
    }
    for (const [pid, media] of remote) {
      if (media.audio && this._remote.get(pid)?.audio !== media.audio) {
        this.mixer.attach('room', pid, media.audio);
      }
    }
    this._remote = remote;
    this._changed.emit();
  }

  private _wires: IDisposable[];
  private _pc: RTCPeerConnection | null = null;
  private _number: number | null = null;
  private _publications: ISfuPublication[] = [];
  private _shown: IShownTile[] | null = null;
  private _sentShown: IShownTile[] | null = null;
  private _socketOpen = false;
  private _unsent = new Set<TrackSource>();
  private _heldMids = new Set<string>();
  /** The same over the media socket (`media_held`), as `participant:source`. */
  private _socketHeld: ReadonlySet<string> = new Set<string>();
  private _tracks = new Map<string, ISfuTrack>();
  private _received = new Map<string, MediaStreamTrack>();
  private _streams = new Map<string, MediaStream>();
  private _remote = new Map<string, IRemoteMedia>();
  private _queue: Promise<void> = Promise.resolve();
  private _checkingSince: number | null = null;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}
