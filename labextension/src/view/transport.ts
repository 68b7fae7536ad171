import { Widget } from '@lumino/widgets';

import { SocketMedia } from '../rtc/wsmedia/socketmedia';
import { IClassroom } from '../tokens';

/**
 * How our media travels, said when it is not the usual way: through the
 * server over the classroom's own connection (UDP is blocked here, or the
 * classroom is set so), or not at all for want of WebCodecs.
 */
export class TransportStatus extends Widget {
  constructor(
    readonly model: IClassroom,
    readonly socket: SocketMedia
  ) {
    super();
    this.addClass('jp-Classroom-transport');
    this.node.setAttribute('role', 'status');
    this.node.hidden = true;
    socket.changed.connect(this._update, this);
    this._update();
  }

  private _update(): void {
    const text = this._text();
    this.node.dataset.transport = this.socket.transport;
    this.node.dataset.reason = this.socket.reason ?? '';
    this.node.hidden = !text;
    if (this.node.textContent !== text) {
      this.node.textContent = text;
    }
  }

  private _text(): string {
    const trans = this.model.trans;
    const socket = this.socket;
    if (socket.reason === 'no_webcodecs') {
      return trans.__(
        'UDP is blocked on this network, and this browser cannot send sound and video through the server (it has no WebCodecs): chat and the map work. A recent Chrome, Edge, Firefox or Safari can do both.'
      );
    }
    if (socket.transport !== 'websocket') {
      return '';
    }
    const how = socket.open ? '' : trans.__(' (connecting…)');
    if (socket.reason === 'configured') {
      return trans.__('Sound and video go through the server, as this classroom is set up%1.', how);
    }
    if (socket.reason === 'chosen') {
      return trans.__('Sound and video go through the server, as chosen in your settings%1.', how);
    }
    return trans.__('UDP is blocked on this network: sound and video go through the server%1.', how);
  }
}
