import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IClassroom } from '../tokens';
import { MapLabels } from './labels';
import { TileMap } from './tilemap';
import { computeView, IView, stepZoom, toMap, ZOOM_LEVELS } from './viewport';

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

/** How the map is viewed: the zoom (1: the whole map) and whether it follows our avatar. */
export interface IMapViewState {
  zoom: number;
  follow: boolean;
}

/**
 * The classroom map: a canvas that draws the map's tiles (or its rooms and
 * walls), and the avatars, and takes the keyboard (arrows, WASD) and clicks
 * to walk. It fills the space it is given; `+`, `-` and `0` zoom, `F`
 * follows our avatar, and dragging moves the view.
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
      trans.__(
        'Classroom map. Walk with the arrow keys or W A S D. Zoom with plus and minus, 0 shows the whole map, F follows you. The participant list says who is where.'
      )
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
    this._resize = new ResizeObserver(entries => {
      const box = entries[entries.length - 1].contentRect;
      this._box = [box.width, box.height];
    });
    model.joined.connect(this._loadTiles, this);
    this._updateState();
  }

  /** The zoom changed or following was turned on or off. */
  get viewChanged(): ISignal<this, IMapViewState> {
    return this._viewChanged;
  }

  get viewState(): IMapViewState {
    return { zoom: this._zoom, follow: this._follow };
  }

  /** The map's pictures, once loaded (null: rooms and walls drawn plainly). */
  get tiles(): TileMap | null {
    return this._tiles;
  }

  /** Zoom one level in (+1) or out (-1). */
  zoom(direction: 1 | -1): void {
    this._setZoom(stepZoom(this._zoom, direction));
  }

  /** Show the whole map. */
  zoomToFit(): void {
    this._setZoom(ZOOM_LEVELS[0]);
  }

  /** Keep our avatar in the middle of the view (when zoomed in), or not. */
  setFollow(follow: boolean): void {
    if (this._follow === follow) {
      return;
    }
    this._follow = follow;
    if (!follow && this._view) {
      // Stay where the view is now.
      this._centre = toMap(this._view, this._view.width / 2, this._view.height / 2);
    }
    this._updateState();
    const trans = this.model.trans;
    this._live.textContent = follow ? trans.__('The map follows you.') : trans.__('The map no longer follows you.');
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
      case 'pointerdown':
        this._onPointerDown(event as PointerEvent);
        break;
      case 'pointermove':
        this._onPointerMove(event as PointerEvent);
        this._labels.pointAt(this._toMap(event as MouseEvent));
        break;
      case 'pointerleave':
        this._labels.pointAt(null);
        break;
      case 'pointerup':
      case 'pointercancel':
        this._drag = null;
        break;
      case 'wheel':
        this._onWheel(event as WheelEvent);
        break;
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.node.addEventListener('keydown', this);
    this.node.addEventListener('keyup', this);
    this.node.addEventListener('blur', this);
    this.node.addEventListener('click', this);
    this.node.addEventListener('pointerdown', this);
    this.node.addEventListener('pointermove', this);
    this.node.addEventListener('pointerup', this);
    this.node.addEventListener('pointercancel', this);
    this.node.addEventListener('pointerleave', this);
    this.node.addEventListener('wheel', this, { passive: false });
    this._resize.observe(this.node);
    this._frame = requestAnimationFrame(this._draw);
  }

  protected onBeforeDetach(msg: Message): void {
    this.node.removeEventListener('keydown', this);
    this.node.removeEventListener('keyup', this);
    this.node.removeEventListener('blur', this);
    this.node.removeEventListener('click', this);
    this.node.removeEventListener('pointerdown', this);
    this.node.removeEventListener('pointermove', this);
    this.node.removeEventListener('pointerup', this);
    this.node.removeEventListener('pointercancel', this);
    this.node.removeEventListener('pointerleave', this);
    this.node.removeEventListener('wheel', this);
    this._resize.unobserve(this.node);
    cancelAnimationFrame(this._frame);
    super.onBeforeDetach(msg);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._resize.disconnect();
    this.model.joined.disconnect(this._loadTiles, this);
    super.dispose();
  }

  /** Fetch the map's pictures after each welcome (a restarted server may have a new map). */
  private _loadTiles(): void {
    const endpoint = this.model.endpoint;
    TileMap.load(this._tiles, endpoint ? path => endpoint.fetchMap(path) : undefined)
      .then(tiles => {
        this._tiles = tiles;
        this.node.dataset.tiles = tiles ? 'drawn' : 'none';
      })
      .catch(reason => {
        console.warn('classroom: the map is drawn without its pictures', reason);
        this.node.dataset.tiles = 'none';
      });
  }

  private _setZoom(zoom: number): void {
    if (zoom === this._zoom) {
      return;
    }
    if (this._view && !this._follow) {
      // Zoom about the middle of what is shown.
      this._centre = toMap(this._view, this._view.width / 2, this._view.height / 2);
    }
    this._zoom = zoom;
    this._updateState();
    const trans = this.model.trans;
    this._live.textContent =
      zoom === ZOOM_LEVELS[0] ? trans.__('The whole map is shown.') : trans.__('Zoom %1 times.', zoom);
  }

  private _updateState(): void {
    this.node.dataset.zoom = String(this._zoom);
    this.node.dataset.follow = String(this._follow);
    this._viewChanged.emit(this.viewState);
  }

  private _onPointerDown(event: PointerEvent): void {
    this._dragged = false;
    if (event.button === 0 && this._zoom > ZOOM_LEVELS[0]) {
      this._drag = [event.clientX, event.clientY];
    }
  }

  private _onPointerMove(event: PointerEvent): void {
    if (!this._drag || !this._view || !(event.buttons & 1)) {
      return;
    }
    const dx = event.clientX - this._drag[0];
    const dy = event.clientY - this._drag[1];
    if (!this._dragged && Math.hypot(dx, dy) < 5) {
      return;
    }
    // Dragging moves the view and stops following.
    if (!this._dragged) {
      this._dragged = true;
      this.setFollow(false);
    }
    this._drag = [event.clientX, event.clientY];
    const [cx, cy] = toMap(this._view, this._view.width / 2 - dx, this._view.height / 2 - dy);
    this._centre = [cx, cy];
  }

  private _onWheel(event: WheelEvent): void {
    // Ctrl + wheel (and a touchpad's pinch) zooms; a plain wheel scrolls the panel.
    if (!event.ctrlKey) {
      return;
    }
    event.preventDefault();
    const now = performance.now();
    if (now - this._lastWheel > 150) {
      this._lastWheel = now;
      this.zoom(event.deltaY < 0 ? 1 : -1);
    }
  }

  private _onKey(event: KeyboardEvent, pressed: boolean): void {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    if (pressed && !event.repeat && this._viewKey(event.key)) {
      event.preventDefault();
      event.stopPropagation();
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

  /** A pointer's place on the map (map units), or null off the map. */
  private _toMap(event: MouseEvent): [number, number] | null {
    const map = this.model.map;
    const view = this._view;
    if (!map || !view) {
      return null;
    }
    const rect = this._canvas.getBoundingClientRect();
    const [x, y] = toMap(view, event.clientX - rect.left, event.clientY - rect.top);
    return x < 0 || y < 0 || x > map.width || y > map.height ? null : [x, y];
  }

  /** The view's keys: + and - zoom, 0 shows the whole map, F follows. */
  private _viewKey(key: string): boolean {
    switch (key) {
      case '+':
      case '=':
        this.zoom(1);
        return true;
      case '-':
      case '_':
        this.zoom(-1);
        return true;
      case '0':
        this.zoomToFit();
        return true;
      case 'f':
      case 'F':
        this.setFollow(!this._follow);
        return true;
    }
    return false;
  }

  private _onClick(event: MouseEvent): void {
    const map = this.model.map;
    this.node.focus();
    if (!map || !this._view || this._dragged) {
      this._dragged = false;
      return;
    }
    const rect = this._canvas.getBoundingClientRect();
    const [x, y] = toMap(this._view, event.clientX - rect.left, event.clientY - rect.top);
    if (x < 0 || y < 0 || x > map.width || y > map.height) {
      return;
    }
    if (!this.model.avatar.walkTo(x, y)) {
      this._live.textContent = this.model.trans.__('You cannot walk there.');
    }
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
    const [boxWidth, boxHeight] = this._box;
    const me = this.model.me;
    const mine = me ? this.model.positionOf(me.id, now) : null;
    const centre: [number, number] = this._follow && mine ? [mine[0], mine[1]] : this._centre;
    const view = computeView({
      boxWidth,
      boxHeight,
      mapWidth: map.width,
      mapHeight: map.height,
      zoom: this._zoom,
      centre
    });
    if (!view.scale) {
      return;
    }
    this._view = view;
    if (!this._follow) {
      this._centre = toMap(view, view.width / 2, view.height / 2);
    }
    const canvas = this._canvas;
    const dpr = window.devicePixelRatio || 1;
    const width = Math.round(view.width);
    const height = Math.round(view.height);
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    canvas.style.left = `${Math.round(view.left)}px`;
    canvas.style.top = `${Math.round(view.top)}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) {
      return;
    }
    const scale = view.scale;
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, -view.originX * scale * dpr, -view.originY * scale * dpr);
    const ink = this._colour('--jp-ui-font-color1', '#222');
    const floor = this._colour('--jp-layout-color1', '#fff');
    const accent = this._colour('--jp-brand-color1', '#1976d2');
    const font = this._colour('--jp-ui-font-family', 'sans-serif');

    const tiles = this._tiles;
    if (tiles) {
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(tiles.below, 0, 0, map.width, map.height);
      ctx.imageSmoothingEnabled = true;
    }
    this._drawRooms(ctx, scale, !!tiles);
    const config = this.model.config!;
    // Avatars and labels keep a readable size however small the map is drawn.
    const r = Math.max(config.avatar_radius, 9 / scale);
    const label = Math.max(16, 11 / scale);
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
      const camera = this.decorations?.camera(p.id);
      // With a camera the bubble is larger, as the video is the person.
      const radius = camera && camera.videoWidth ? r * 1.6 : r;
      if (p.hand) {
        ctx.beginPath();
        ctx.arc(x, y, radius * 1.35, 0, Math.PI * 2);
        ctx.strokeStyle = this._colour('--jp-warn-color1', '#f57c00');
        ctx.lineWidth = r * 0.25;
        ctx.stroke();
      }
      const level = this.decorations?.level(p.id) ?? 0;
      if (level > 0.02) {
        // Speaking: a ring that grows with the voice.
        ctx.beginPath();
        ctx.arc(x, y, radius * (1.15 + Math.min(0.5, level * 3)), 0, Math.PI * 2);
        ctx.strokeStyle = this._colour('--jp-success-color1', '#388e3c');
        ctx.lineWidth = r * 0.2;
        ctx.stroke();
      }
      drawBubble(ctx, x, y, radius, p.color, camera && camera.videoWidth ? camera : null, p.initials, font);
      if (p.id === me?.id) {
        ctx.beginPath();
        ctx.arc(x, y, radius, 0, Math.PI * 2);
        ctx.lineWidth = r * 0.2;
        ctx.strokeStyle = ink;
        ctx.stroke();
      }
      if (this._showNames) {
        this._labels.add(p, x, y, level > 0.02);
      }
      ctx.globalAlpha = 1;
    }
    if (tiles?.above) {
      // What the map puts over the avatars (roofs, treetops); names stay on top.
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(tiles.above, 0, 0, map.width, map.height);
      ctx.imageSmoothingEnabled = true;
    }
    this._labels.draw(ctx, r, scale, { ink, floor });
    // For the tests and the console: the map point at the canvas's corner, and the scale.
    this.node.dataset.view = `${view.originX.toFixed(1)},${view.originY.toFixed(1)},${view.scale.toFixed(4)}`;
    this.node.dataset.x = mine ? mine[0].toFixed(1) : '';
    this.node.dataset.y = mine ? mine[1].toFixed(1) : '';
  };

  /**
   * Rooms (and, on a map without pictures, the floor and walls). Over a
   * map's tiles the rooms are outlines with their names, and the walls are
   * left to the pictures.
   */
  private _drawRooms(ctx: CanvasRenderingContext2D, scale: number, overTiles: boolean): void {
    const map = this.model.map!;
    const muted = this._colour('--jp-ui-font-color2', '#666');
    const accent = this._colour('--jp-brand-color1', '#1976d2');
    const font = this._colour('--jp-ui-font-family', 'sans-serif');
    if (!overTiles) {
      ctx.fillStyle = this._colour('--jp-layout-color1', '#fff');
      ctx.fillRect(0, 0, map.width, map.height);
    }
    const me = this.model.me;
    for (const room of map.rooms) {
      const mineRoom = me?.room === room.id;
      ctx.beginPath();
      room.polygon.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      if (!overTiles) {
        ctx.fillStyle =
          room.kind === 'stage'
            ? this._colour('--jp-warn-color3', '#ffe0b2')
            : this._colour('--jp-brand-color3', '#bbdefb');
        ctx.globalAlpha = 0.6;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
      ctx.lineWidth = mineRoom ? 6 : 2;
      ctx.strokeStyle = mineRoom ? accent : overTiles ? 'rgba(255, 255, 255, 0.7)' : muted;
      if (overTiles && !mineRoom) {
        ctx.setLineDash([10, 8]);
      }
      ctx.stroke();
      ctx.setLineDash([]);
      const xs = room.polygon.map(p => p[0]);
      const ys = room.polygon.map(p => p[1]);
      const size = Math.max(22, 11 / scale);
      ctx.font = `bold ${size}px ${font}`;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      const lx = Math.min(...xs) + 10;
      const ly = Math.min(...ys) + 8;
      if (overTiles) {
        // A plate under the name, so it reads on any picture.
        const w = ctx.measureText(room.name).width;
        ctx.fillStyle = 'rgba(255, 255, 255, 0.8)';
        ctx.fillRect(lx - 4, ly - 2, w + 8, size + 4);
        ctx.fillStyle = '#333';
      } else {
        ctx.fillStyle = muted;
      }
      ctx.fillText(room.name, lx, ly);
    }
    if (!overTiles) {
      ctx.fillStyle = this._colour('--jp-layout-color4', '#999');
      for (const w of map.walls) {
        ctx.fillRect(w.x, w.y, w.width, w.height);
      }
    }
  }

  private _canvas: HTMLCanvasElement;
  private _live: HTMLDivElement;
  private _frame = 0;
  private _showNames = true;
  private _labels: MapLabels;
  private _resize: ResizeObserver;
  private _box: [number, number] = [0, 0];
  private _view: IView | null = null;
  private _zoom = ZOOM_LEVELS[0];
  private _follow = true;
  private _centre: [number, number] = [0, 0];
  private _drag: [number, number] | null = null;
  private _dragged = false;
  private _lastWheel = 0;
  private _tiles: TileMap | null = null;
  private _viewChanged = new Signal<this, IMapViewState>(this);
}

/**
 * An avatar: a round bubble with the person's camera in it (cropped to a
 * square from the middle), or their initials on their colour; a ring of
 * their colour around the video says whose it is.
 */
function drawBubble(
  ctx: CanvasRenderingContext2D,
  x: number,
  y: number,
  r: number,
  color: string,
  camera: HTMLVideoElement | null,
  initials: string,
  font: string
): void {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, Math.PI * 2);
  ctx.fillStyle = color;
  ctx.fill();
  if (camera) {
    const side = Math.min(camera.videoWidth, camera.videoHeight);
    const sx = (camera.videoWidth - side) / 2;
    const sy = (camera.videoHeight - side) / 2;
    ctx.save();
    ctx.beginPath();
    ctx.arc(x, y, r * 0.88, 0, Math.PI * 2);
    ctx.clip();
    ctx.drawImage(camera, sx, sy, side, side, x - r, y - r, 2 * r, 2 * r);
    ctx.restore();
    return;
  }
  ctx.fillStyle = '#fff';
  ctx.font = `bold ${Math.round(r * 0.9)}px ${font}`;
  ctx.textBaseline = 'middle';
  ctx.fillText(initials, x, y + 1);
}
