import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IClassroom } from '../tokens';
import { MapLabels } from './labels';

const KEYS: Record<string, 'up' | 'down' | 'left' | 'right'> = {
  ArrowUp: 'up',
  ArrowDown: 'down',
  ArrowLeft: 'left',
  ArrowRight: 'right',
  w: 'up',
  s: 'down',
  a: 'left',
  d: 'right',
  W: 'up',
  S: 'down',
  A: 'left',
  D: 'right'
};

/** What the media layer adds to the map: speaking rings, camera tiles, push-to-talk. */
export interface IMapDecorations {
  level(pid: string): number;
  camera(pid: string): HTMLVideoElement | null;
  talk(on: boolean): void;
}

/**
 * The classroom map: a canvas that draws the rooms, walls and avatars, and
 * takes the keyboard (arrows, WASD) and clicks to walk.
 */
export class ClassroomMap extends Widget {
  constructor(readonly model: IClassroom) {
    super();
    const trans = model.trans;
    this.addClass('jp-Classroom-map');
    this.node.tabIndex = 0;
    this.node.setAttribute('role', 'application');
    this.node.setAttribute('aria-roledescription', trans.__('classroom map'));
    this.node.setAttribute(
      'aria-label',
      trans.__('Classroom map. Walk with the arrow keys or W A S D. The participant list below says who is where.')
    );
    this._canvas = document.createElement('canvas');
    this._canvas.setAttribute('aria-hidden', 'true');
    this.node.appendChild(this._canvas);
    this._live = document.createElement('div');
    this._live.className = 'jp-Classroom-visuallyHidden';
    this._live.setAttribute('aria-live', 'polite');
    this.node.appendChild(this._live);
    model.announcements.announced.connect((_, text) => {
      this._live.textContent = text;
    });
    this._labels = new MapLabels(model, this.node);
  }

  decorations: IMapDecorations | null = null;

  /** Whether names are written under the avatars (a setting). */
  get showNames(): boolean {
    return this._showNames;
  }
  set showNames(value: boolean) {
    this._showNames = value;
    this.node.dataset.names = value ? 'shown' : 'hidden';
  }

  /** Show this person's name on the map even where names crowd (null: nobody in particular). */
  showNameOf(id: string | null): void {
    this._labels.focused = id;
  }

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'keydown':
        this._onKey(event as KeyboardEvent, true);
        break;
      case 'keyup':
        this._onKey(event as KeyboardEvent, false);
        break;
      case 'blur':
        this.model.avatar.releaseKeys();
        break;
      case 'click':
        this._onClick(event as MouseEvent);
        break;
      case 'pointermove':
      case 'pointerleave':
        this._labels.pointAt(event.type === 'pointermove' ? this._toMap(event as MouseEvent) : null);
        break;
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.node.addEventListener('keydown', this);
    this.node.addEventListener('keyup', this);
    this.node.addEventListener('blur', this);
    this.node.addEventListener('click', this);
    this.node.addEventListener('pointermove', this);
    this.node.addEventListener('pointerleave', this);
    this._frame = requestAnimationFrame(this._draw);
  }

  protected onBeforeDetach(msg: Message): void {
    this.node.removeEventListener('keydown', this);
    this.node.removeEventListener('keyup', this);
    this.node.removeEventListener('blur', this);
    this.node.removeEventListener('click', this);
    this.node.removeEventListener('pointermove', this);
    this.node.removeEventListener('pointerleave', this);
    cancelAnimationFrame(this._frame);
    super.onBeforeDetach(msg);
  }

  private _onKey(event: KeyboardEvent, pressed: boolean): void {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    if (event.key === ' ') {
      event.preventDefault();
      if (!event.repeat) {
        this.decorations?.talk(pressed);
      }
      return;
    }
    const direction = KEYS[event.key];
    if (direction) {
      event.preventDefault();
      event.stopPropagation();
      this.model.avatar.setKey(direction, pressed);
    }
  }

  private _onClick(event: MouseEvent): void {
    const map = this.model.map;
    if (!map) {
      return;
    }
    this.node.focus();
    const rect = this._canvas.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * map.width;
    const y = ((event.clientY - rect.top) / rect.height) * map.height;
    if (!this.model.avatar.walkTo(x, y)) {
      this._live.textContent = this.model.trans.__('You cannot walk there.');
    }
  }

  /** A pointer's place on the map (map units), or null off the map. */
  private _toMap(event: MouseEvent): [number, number] | null {
    const map = this.model.map;
    const rect = this._canvas.getBoundingClientRect();
    if (!map || !rect.width || !rect.height) {
      return null;
    }
    return [((event.clientX - rect.left) / rect.width) * map.width, ((event.clientY - rect.top) / rect.height) * map.height];
  }

  private _colour(name: string, fallback: string): string {
    const v = getComputedStyle(this.node).getPropertyValue(name).trim();
    return v || fallback;
  }

  private _draw = (now: number): void => {
    this._frame = requestAnimationFrame(this._draw);
    this.model.avatar.tick(now);
    const map = this.model.map;
    if (!map || !this.isVisible) {
      return;
    }
    const canvas = this._canvas;
    const width = this.node.clientWidth;
    if (!width) {
      return;
    }
    const scale = width / map.width;
    const height = Math.round(map.height * scale);
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) {
      return;
    }
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, 0, 0);
    const floor = this._colour('--jp-layout-color1', '#fff');
    const ink = this._colour('--jp-ui-font-color1', '#222');
    const muted = this._colour('--jp-ui-font-color2', '#666');
    const wall = this._colour('--jp-layout-color4', '#999');
    const table = this._colour('--jp-brand-color3', '#bbdefb');
    const stage = this._colour('--jp-warn-color3', '#ffe0b2');
    const accent = this._colour('--jp-brand-color1', '#1976d2');
    const font = this._colour('--jp-ui-font-family', 'sans-serif');

    ctx.fillStyle = floor;
    ctx.fillRect(0, 0, map.width, map.height);
    const me = this.model.me;
    for (const room of map.rooms) {
      ctx.beginPath();
      room.polygon.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      ctx.fillStyle = room.kind === 'stage' ? stage : table;
      ctx.globalAlpha = 0.6;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.lineWidth = me?.room === room.id ? 6 : 2;
      ctx.strokeStyle = me?.room === room.id ? accent : muted;
      ctx.stroke();
      const xs = room.polygon.map(p => p[0]);
      const ys = room.polygon.map(p => p[1]);
      ctx.fillStyle = muted;
      ctx.font = `bold ${Math.max(22, 11 / scale)}px ${font}`;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(room.name, Math.min(...xs) + 10, Math.min(...ys) + 8);
    }
    ctx.fillStyle = wall;
    for (const w of map.walls) {
      ctx.fillRect(w.x, w.y, w.width, w.height);
    }
    const config = this.model.config!;
    // Avatars and labels keep a readable size however small the map is drawn.
    const r = Math.max(config.avatar_radius, 9 / scale);
    const label = Math.max(16, 11 / scale);
    const mine = me ? this.model.positionOf(me.id, now) : null;
    if (mine) {
      ctx.beginPath();
      ctx.arc(mine[0], mine[1], config.proximity_radius, 0, Math.PI * 2);
      ctx.strokeStyle = accent;
      ctx.globalAlpha = 0.25;
      ctx.setLineDash([8, 8]);
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
    }
    ctx.textAlign = 'center';
    this._labels.begin(ctx, label, font, r);
    for (const p of this.model.roster.participants.values()) {
      const pos = this.model.positionOf(p.id, now);
      if (!pos) {
        continue;
      }
      const [x, y] = pos;
      ctx.globalAlpha = p.connection === 'reconnecting' ? 0.4 : 1;
      if (p.hand) {
        ctx.beginPath();
        ctx.arc(x, y, r * 1.35, 0, Math.PI * 2);
        ctx.strokeStyle = this._colour('--jp-warn-color1', '#f57c00');
        ctx.lineWidth = r * 0.25;
        ctx.stroke();
      }
      const level = this.decorations?.level(p.id) ?? 0;
      if (level > 0.02) {
        // Speaking: a ring that grows with the voice.
        ctx.beginPath();
        ctx.arc(x, y, r * (1.15 + Math.min(0.5, level * 3)), 0, Math.PI * 2);
        ctx.strokeStyle = this._colour('--jp-success-color1', '#388e3c');
        ctx.lineWidth = r * 0.2;
        ctx.stroke();
      }
      const camera = this.decorations?.camera(p.id);
      if (camera && camera.videoWidth) {
        const w = r * 4;
        const h = (w * camera.videoHeight) / camera.videoWidth;
        ctx.drawImage(camera, x + r * 1.3, y - h - r * 0.3, w, h);
      }
      ctx.beginPath();
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.fillStyle = p.color;
      ctx.fill();
      if (p.id === me?.id) {
        ctx.lineWidth = r * 0.2;
        ctx.strokeStyle = ink;
        ctx.stroke();
      }
      ctx.fillStyle = '#fff';
      ctx.font = `bold ${Math.round(r * 0.9)}px ${font}`;
      ctx.textBaseline = 'middle';
      ctx.fillText(p.initials, x, y + 1);
      if (this._showNames) {
        this._labels.add(p, x, y, (this.decorations?.level(p.id) ?? 0) > 0.02);
      }
      ctx.globalAlpha = 1;
    }
    this._labels.draw(ctx, r, scale, { ink, floor });
    this.node.dataset.x = mine ? mine[0].toFixed(1) : '';
    this.node.dataset.y = mine ? mine[1].toFixed(1) : '';
  };

  private _canvas: HTMLCanvasElement;
  private _live: HTMLDivElement;
  private _labels: MapLabels;
  private _frame = 0;
  private _showNames = true;
}
