import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IBox } from '../model/labels';
import { IDisc, spreadDiscs } from '../model/spread';
import { IMapInfo, IParticipantInfo, IRoomInfo } from '../protocol';
import { IClassroom } from '../tokens';
import { IRoomMarks, MapLabels } from './labels';
import { avatarRadius, drawAvatar, drawReach, drawRooms, readPalette } from './mapdraw';
import { IMapInputHost, MapInput } from './mapinput';
import { MAP_CODES, RoomRefusal } from './notice';
import { TileMap } from './tilemap';
import { computeView, IView, stepZoom, toMap, ZOOM_LEVELS } from './viewport';

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
 * to walk (`MapInput`). It fills the space it is given; `+`, `-` and `0`
 * zoom, `F` follows our avatar, and dragging moves the view. Drawing only
 * reads the model: our avatar walks on its own clock.
 */
export class ClassroomMap extends Widget implements IMapInputHost {
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
    // Refusals to enter a room are told here, where people look while they walk.
    this._refusal = new RoomRefusal();
    this.node.appendChild(this._refusal.node);
    model.avatar.roomEntered.connect(this._onRoomEntered, this);
    model.avatar.roomRefused.connect(this._onRoomRefused, this);
    model.errorOccurred.connect(this._onError, this);
    this._resize = new ResizeObserver(entries => {
      const box = entries[entries.length - 1].contentRect;
      this._box = [box.width, box.height];
    });
    model.joined.connect(this._loadTiles, this);
    this._input = new MapInput(this);
    this._updateState();
  }

  /** The zoom changed or following was turned on or off. */
  get viewChanged(): ISignal<this, IMapViewState> {
    return this._viewChanged;
  }

  get viewState(): IMapViewState {
    return { zoom: this._zoom, follow: this._follow };
  }
  get zoomLevel(): number {
    return this._zoom;
  }
  get following(): boolean {
    return this._follow;
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

  /** The map point under a pointer, or null off the map (or before the first frame). */
  pointOf(event: MouseEvent): [number, number] | null {
    const map = this.model.map;
    const view = this._view;
    if (!map || !view) {
      return null;
    }
    const rect = this._canvas.getBoundingClientRect();
    const [x, y] = toMap(view, event.clientX - rect.left, event.clientY - rect.top);
    return x < 0 || y < 0 || x > map.width || y > map.height ? null : [x, y];
  }

  /** Move the view by a drag of (dx, dy) pixels. */
  pan(dx: number, dy: number): void {
    if (this._view) {
      this._centre = toMap(this._view, this._view.width / 2 - dx, this._view.height / 2 - dy);
    }
  }

  talk(on: boolean): void {
    this.decorations?.talk(on);
  }

  pointAt(point: [number, number] | null): void {
    this._labels.pointAt(point);
  }

  say(text: string): void {
    this._live.textContent = text;
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._input.attach();
    this._resize.observe(this.node);
    this._frame = requestAnimationFrame(this._draw);
  }

  protected onBeforeDetach(msg: Message): void {
    this._input.detach();
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
    this.model.avatar.roomEntered.disconnect(this._onRoomEntered, this);
    this.model.avatar.roomRefused.disconnect(this._onRoomRefused, this);
    this.model.errorOccurred.disconnect(this._onError, this);
    super.dispose();
  }

  private _onRoomEntered(_: unknown, room: IRoomInfo | null): void {
    if (room) {
      this._tried = room.id;
    }
  }

  /** Our own avatar kept us out of a full room (its refusal is told just before this). */
  private _onRoomRefused(_: unknown, room: IRoomInfo): void {
    this._tried = room.id;
    this._refusal.about(room.id);
  }

  /** A room refused us: the server does not say which, so it is the one we last walked into. */
  private _onError(_: unknown, e: { code: string; message: string }): void {
    if (MAP_CODES.has(e.code)) {
      this._refusal.show(e.code, e.message, this._tried, this.model.avatar.position);
    }
  }

  /** Which rooms are locked and which are full, as the map draws them. */
  private _roomStates(map: IMapInfo): { locked: Set<string>; full: Set<string> } {
    const locked = new Set(this.model.classState.state?.locked_rooms ?? []);
    const inside = new Map<string, number>();
    for (const p of this.model.roster.participants.values()) {
      if (p.room) {
        inside.set(p.room, (inside.get(p.room) ?? 0) + 1);
      }
    }
    const full = new Set(map.rooms.filter(r => r.capacity && (inside.get(r.id) ?? 0) >= r.capacity).map(r => r.id));
    return { locked, full };
  }

  /** What lies over the canvas (the view's buttons), in map units: no word is written under it. */
  private _overlays(view: IView): IBox[] {
    const canvas = this._canvas.getBoundingClientRect();
    const boxes: IBox[] = [];
    for (const el of this.node.parentElement?.querySelectorAll('.jp-Classroom-mapControls') ?? []) {
      const r = el.getBoundingClientRect();
      if (r.width && r.height) {
        const [x0, y0] = toMap(view, r.left - canvas.left, r.top - canvas.top);
        const [x1, y1] = toMap(view, r.right - canvas.left, r.bottom - canvas.top);
        boxes.push({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
      }
    }
    return boxes;
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

  private _draw = (now: number): void => {
    this._frame = requestAnimationFrame(this._draw);
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
    const colours = readPalette(this.node);

    const tiles = this._tiles;
    if (tiles) {
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(tiles.below, 0, 0, map.width, map.height);
      ctx.imageSmoothingEnabled = true;
    }
    const { locked, full } = this._roomStates(map);
    const student = me?.role !== 'instructor';
    const marks = (room: IRoomInfo): IRoomMarks => ({ locked: locked.has(room.id), full: full.has(room.id) });
    drawRooms(
      ctx,
      map,
      me?.room ?? null,
      !!tiles,
      colours,
      room => student && (locked.has(room.id) || full.has(room.id))
    );
    this.node.dataset.lockedRooms = [...locked].join(' ');
    this.node.dataset.fullRooms = [...full].join(' ');
    const config = this.model.config!;
    // Avatars and labels keep a readable size however small the map is drawn.
    const r = Math.max(config.avatar_radius, 9 / scale);
    const label = Math.max(16, 11 / scale);
    if (mine) {
      drawReach(ctx, mine, config.proximity_radius, colours);
    }
    this._labels.begin(ctx, label, colours.font, r);
    const people: { p: IParticipantInfo; camera: HTMLVideoElement | null }[] = [];
    const discs: IDisc[] = [];
    for (const p of this.model.roster.participants.values()) {
      const at = this.model.positionOf(p.id, now);
      if (!at) {
        continue;
      }
      const video = this.decorations?.camera(p.id);
      const camera = video?.videoWidth ? video : null;
      people.push({ p, camera });
      discs.push({ id: p.id, x: at[0], y: at[1], r: avatarRadius(r, p, !!camera), fixed: p.id === me?.id });
    }
    // Neighbours at a table are drawn side by side, not one over the other.
    const spots = spreadDiscs(discs, r * 0.2);
    const bubbles = discs.map(d => {
      const [x, y] = spots.get(d.id)!;
      return { x: x - d.r, y: y - d.r, width: 2 * d.r, height: 2 * d.r };
    });
    // Words go in the part of the map in view, clear of what lies over it.
    const shown = { x: view.originX, y: view.originY, width: view.width / scale, height: view.height / scale };
    const overlays = this._overlays(view);
    this._labels.origin = [view.originX, view.originY];
    this._labels.placeRooms(ctx, map, scale, marks, shown, overlays, bubbles, colours.font);
    // A room's name that could only go over someone lies beneath them.
    this._labels.writeRooms(ctx, true, colours, !!tiles);
    ctx.textAlign = 'center';
    for (const { p, camera } of people) {
      const at = spots.get(p.id)!;
      const level = this.decorations?.level(p.id) ?? 0;
      drawAvatar(ctx, { participant: p, at, camera, level, mine: p.id === me?.id }, r, colours);
      if (this._showNames) {
        this._labels.add(p, at[0], at[1], level > 0.02, avatarRadius(r, p, !!camera));
      }
    }
    if (tiles?.above) {
      // What the map puts over the avatars (roofs, treetops); names stay on top.
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(tiles.above, 0, 0, map.width, map.height);
      ctx.imageSmoothingEnabled = true;
    }
    this._labels.writeRooms(ctx, false, colours, !!tiles);
    // For the tests: the avatars as drawn, in CSS pixels over the canvas.
    const css = (v: number, o: number) => (v - o) * scale;
    const avatars = discs.map(d => {
      const [x, y] = spots.get(d.id)!;
      return { id: d.id, x: css(x, view.originX), y: css(y, view.originY), r: d.r * scale };
    });
    Object.assign(this.node, { classroomAvatars: avatars });
    this._labels.draw(ctx, r, scale, colours, shown, overlays);
    this._refusal.update({ at: mine, room: me?.room ?? null, locked, full, reach: 4 * config.avatar_radius });
    // For the tests and the console: the map point at the canvas's corner, and the scale.
    this.node.dataset.view = `${view.originX.toFixed(1)},${view.originY.toFixed(1)},${view.scale.toFixed(4)}`;
    this.node.dataset.x = mine ? mine[0].toFixed(1) : '';
    this.node.dataset.y = mine ? mine[1].toFixed(1) : '';
  };

  private _canvas: HTMLCanvasElement;
  private _live: HTMLDivElement;
  private _frame = 0;
  private _showNames = true;
  private _labels: MapLabels;
  private _refusal: RoomRefusal;
  private _tried: string | null = null;
  private _resize: ResizeObserver;
  private _box: [number, number] = [0, 0];
  private _view: IView | null = null;
  private _zoom = ZOOM_LEVELS[0];
  private _follow = true;
  private _centre: [number, number] = [0, 0];
  private _input: MapInput;
  private _tiles: TileMap | null = null;
  private _viewChanged = new Signal<this, IMapViewState>(this);
}
