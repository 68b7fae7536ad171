import type { Direction } from '../model/avatar';
import { IClassroom } from '../tokens';
import { ZOOM_LEVELS } from './viewport';

const KEYS: Record<string, Direction> = {
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

const EVENTS = [
  'keydown',
  'keyup',
  'blur',
  'click',
  'pointerdown',
  'pointermove',
  'pointerup',
  'pointercancel',
  'pointerleave',
  'wheel'
] as const;

/** What the map's input acts on: the avatar (through the model) and the map's view. */
export interface IMapInputHost {
  readonly model: IClassroom;
  readonly node: HTMLElement;
  readonly zoomLevel: number;
  readonly following: boolean;
  zoom(direction: 1 | -1): void;
  zoomToFit(): void;
  setFollow(follow: boolean): void;
  /** The map point under a pointer, or null off the map (or before the first frame). */
  pointOf(event: MouseEvent): [number, number] | null;
  /** Move the view by a drag of (dx, dy) pixels. */
  pan(dx: number, dy: number): void;
  /** Push-to-talk (space held). */
  talk(on: boolean): void;
  /** A pointer hovers over a map point (null: off the map). */
  pointAt(point: [number, number] | null): void;
  /** Tell screen readers something. */
  say(text: string): void;
}

/**
 * The map's keyboard and pointer: arrows and WASD walk, space talks, `+`,
 * `-`, `0` and `F` set the view, a click walks there, a drag moves the view
 * and Ctrl + wheel zooms.
 */
export class MapInput {
  constructor(private readonly _host: IMapInputHost) {}

  attach(): void {
    for (const type of EVENTS) {
      this._host.node.addEventListener(type, this, type === 'wheel' ? { passive: false } : undefined);
    }
  }

  detach(): void {
    for (const type of EVENTS) {
      this._host.node.removeEventListener(type, this);
    }
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
        this._host.model.avatar.releaseKeys();
        break;
      case 'click':
        this._onClick(event as MouseEvent);
        break;
      case 'pointerdown':
        this._onPointerDown(event as PointerEvent);
        break;
      case 'pointermove':
        this._onPointerMove(event as PointerEvent);
        this._host.pointAt(this._host.pointOf(event as MouseEvent));
        break;
      case 'pointerleave':
        this._host.pointAt(null);
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

  private _onPointerDown(event: PointerEvent): void {
    this._dragged = false;
    if (event.button === 0 && this._host.zoomLevel > ZOOM_LEVELS[0]) {
      this._drag = [event.clientX, event.clientY];
    }
  }

  private _onPointerMove(event: PointerEvent): void {
    if (!this._drag || !(event.buttons & 1)) {
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
      this._host.setFollow(false);
    }
    this._drag = [event.clientX, event.clientY];
    this._host.pan(dx, dy);
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
      this._host.zoom(event.deltaY < 0 ? 1 : -1);
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
        this._host.talk(pressed);
      }
      return;
    }
    const direction = KEYS[event.key];
    if (direction) {
      event.preventDefault();
      event.stopPropagation();
      this._host.model.avatar.setKey(direction, pressed);
    }
  }

  /** The view's keys: + and - zoom, 0 shows the whole map, F follows. */
  private _viewKey(key: string): boolean {
    switch (key) {
      case '+':
      case '=':
        this._host.zoom(1);
        return true;
      case '-':
      case '_':
        this._host.zoom(-1);
        return true;
      case '0':
        this._host.zoomToFit();
        return true;
      case 'f':
      case 'F':
        this._host.setFollow(!this._host.following);
        return true;
    }
    return false;
  }

  private _onClick(event: MouseEvent): void {
    const host = this._host;
    host.node.focus();
    if (this._dragged) {
      this._dragged = false;
      return;
    }
    const point = host.pointOf(event);
    if (point && !host.model.avatar.walkTo(point[0], point[1])) {
      host.say(host.model.trans.__('You cannot walk there.'));
    }
  }

  private _drag: [number, number] | null = null;
  private _dragged = false;
  private _lastWheel = 0;
}
