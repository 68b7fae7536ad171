import {
  boxOf,
  IBox,
  ILabelRequest,
  IPlacedLabel,
  IPlacedRoomLabel,
  IRoomLabelRequest,
  placeLabels,
  placeRoomLabels,
  roomNameForms
} from '../model/labels';
import { labelForms } from '../model/names';
import { IMapInfo, IParticipantInfo, IRoomInfo } from '../protocol';
import { IClassroom } from '../tokens';
import { drawRoomLabel, IPalette } from './mapdraw';

/** A label's most characters' worth of width (in font sizes) before it is cut with "…". */
const MAX_WIDTH_EM = 10;

/** What a test or a tool can read of the labels drawn: boxes in CSS pixels over the canvas. */
export interface ILabelBox {
  id: string;
  text: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Rooms: whether it is drawn locked, or full, and beneath the avatars. */
  locked?: boolean;
  full?: boolean;
  under?: boolean;
}

/** How a room is marked on the map: locked for us, or full. */
export interface IRoomMarks {
  locked: boolean;
  full: boolean;
}

/**
 * The words on the map, laid out so that none covers another (see
 * `model/labels.ts`): first the rooms' names (`rooms`), then people's names,
 * which the map adds as it draws each avatar and `draw` places and writes on
 * top. A name that does not fit shows while its avatar is pointed at. The
 * boxes drawn are kept on the map's node as `classroomLabels` and
 * `classroomRoomLabels`.
 */
export class MapLabels {
  constructor(
    readonly model: IClassroom,
    private readonly _node: HTMLElement
  ) {}

  /** Where the pointer is on the map (map units), or null. */
  pointAt(at: [number, number] | null): void {
    this._pointer = at;
  }

  /** Someone whose name must show (focused in the participant list), or null. */
  get focused(): string | null {
    return this._focused;
  }
  set focused(id: string | null) {
    this._focused = id;
  }

  /** Start a frame: labels are written `size` map units high in `font`. */
  begin(ctx: CanvasRenderingContext2D, size: number, font: string, radius: number): void {
    this._requests = [];
    this._forms.clear();
    this._size = size;
    this._radius = radius;
    this._font = `${size}px ${font}`;
    ctx.font = this._font;
    this._pointed = null;
    this._pointedDistance = Infinity;
    this._mine = null;
  }

  /** Someone's name to place beside their avatar, drawn at (x, y) with `radius` (rings included). */
  add(p: IParticipantInfo, x: number, y: number, speaking: boolean, radius: number): void {
    const me = p.id === this.model.myId;
    let rank = 4;
    if (me) {
      rank = 0;
    } else if (p.hand) {
      rank = 2;
    } else if (speaking) {
      rank = 3;
    }
    if (p.id === this._focused) {
      this._pointed = p.id;
      this._pointedDistance = -1;
    } else if (this._pointer) {
      const d = Math.hypot(this._pointer[0] - x, this._pointer[1] - y);
      if (d <= this._radius * 1.5 && d < this._pointedDistance) {
        this._pointed = p.id;
        this._pointedDistance = d;
      }
    }
    // Measured in `draw`, with the labels' font (the initials change it meanwhile).
    this._forms.set(p.id, labelForms(p, this.model.trans));
    this._mine = me ? p.id : this._mine;
    this._requests.push({ id: p.id, x, y, radius, widths: [], height: this._size * 1.2, rank, essential: me });
  }

  /**
   * Place the rooms' names (with a lock for a locked room, "full" for a full
   * one) in `shown` (the part of the map in view), clear of `obstacles` and,
   * where they can be, of the `avatars` (map units); their boxes are then
   * obstacles for people's names. `writeRooms` writes them.
   */
  placeRooms(
    ctx: CanvasRenderingContext2D,
    map: IMapInfo,
    scale: number,
    marks: (room: IRoomInfo) => IRoomMarks,
    shown: IBox,
    obstacles: IBox[],
    avatars: IBox[],
    font: string
  ): void {
    const size = Math.max(22, 11 / scale);
    ctx.font = `bold ${size}px ${font}`;
    const trans = this.model.trans;
    const requests: IRoomLabelRequest[] = [];
    this._rooms = new Map();
    for (const room of map.rooms) {
      const { locked, full } = marks(room);
      const forms = roomNameForms(room.name).map(f => (full ? trans.__('%1 · full', f) : f));
      this._rooms.set(room.id, { forms, locked, full });
      const icon = locked ? size : 0;
      const pad = size * 0.2;
      requests.push({
        id: room.id,
        room: boxOf(room.polygon),
        widths: forms.map(f => ctx.measureText(f).width + icon + 2 * pad),
        height: size * 1.25
      });
    }
    this._roomSize = size;
    this._roomBoxes = placeRoomLabels(requests, size * 0.15, shown, obstacles, avatars);
    const boxes: ILabelBox[] = this._roomBoxes.map(box => {
      const { forms, locked, full } = this._rooms.get(box.id)!;
      return { ...this._css(box, scale), id: box.id, text: forms[box.variant], locked, full, under: box.under };
    });
    Object.assign(this._node, { classroomRoomLabels: boxes });
    this._node.dataset.roomLabelsHidden = String(map.rooms.length - this._roomBoxes.length);
  }

  /**
   * Write the rooms' names placed: those that lie `under` someone before the
   * avatars are drawn, the others after them.
   */
  writeRooms(ctx: CanvasRenderingContext2D, under: boolean, colours: IPalette, overTiles: boolean): void {
    for (const box of this._roomBoxes) {
      if (box.under === under) {
        const { forms, locked } = this._rooms.get(box.id)!;
        drawRoomLabel(ctx, box, forms[box.variant], locked, this._roomSize, colours, overTiles);
      }
    }
  }

  /** Place and write people's names in `shown` (the part of the map in view), clear of `obstacles`. */
  draw(
    ctx: CanvasRenderingContext2D,
    radius: number,
    scale: number,
    colours: IPalette,
    shown: IBox,
    obstacles: IBox[]
  ): void {
    if (!this.model.map) {
      return;
    }
    ctx.font = this._font;
    const maxWidth = this._size * MAX_WIDTH_EM;
    const pad = this._size * 0.2;
    const trans = this.model.trans;
    const yours = (name: string) => trans.__('%1 (you)', name);
    for (const r of this._requests) {
      const base = this._forms.get(r.id) ?? [''];
      // Ours says "(you)" however long the name: the name is what is cut;
      // at the shortest, "you" alone.
      const forms =
        r.id === this._mine
          ? [...base.map(f => yours(fit(ctx, f, maxWidth - ctx.measureText(yours('')).width))), trans.__('you')]
          : base.map(f => fit(ctx, f, maxWidth));
      this._forms.set(r.id, forms);
      r.widths = forms.map(f => ctx.measureText(f).width + 2 * pad);
      if (r.id === this._pointed) {
        r.rank = 1; // pointed at: shown, right after our own
        r.essential = true;
      }
    }
    const placed = placeLabels(this._requests, radius, this._size * 0.15, shown, this._slots, [
      ...this._roomBoxes,
      ...obstacles
    ]);
    this._slots = new Map(placed.map(p => [p.id, p.slot]));
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    for (const box of placed) {
      ctx.globalAlpha = 0.8;
      ctx.fillStyle = colours.floor;
      ctx.fillRect(box.x, box.y, box.width, box.height);
      ctx.globalAlpha = 1;
      ctx.fillStyle = colours.ink;
      ctx.fillText(this._text(box), box.x + pad, box.y + box.height / 2);
    }
    this._publish(placed, scale);
  }

  private _text(box: IPlacedLabel): string {
    return this._forms.get(box.id)?.[box.variant] ?? '';
  }

  /** The map point at the canvas's top-left corner this frame (the view's origin). */
  origin: [number, number] = [0, 0];

  private _css(b: IBox, scale: number): IBox {
    const [ox, oy] = this.origin;
    return { x: (b.x - ox) * scale, y: (b.y - oy) * scale, width: b.width * scale, height: b.height * scale };
  }

  private _publish(placed: IPlacedLabel[], scale: number): void {
    const boxes: ILabelBox[] = placed.map(b => ({ id: b.id, text: this._text(b), ...this._css(b, scale) }));
    Object.assign(this._node, { classroomLabels: boxes });
    this._node.dataset.labelsHidden = String(this._requests.length - placed.length);
  }

  private _requests: ILabelRequest[] = [];
  private _forms = new Map<string, string[]>();
  private _roomBoxes: IPlacedRoomLabel[] = [];
  private _rooms = new Map<string, { forms: string[]; locked: boolean; full: boolean }>();
  private _roomSize = 22;
  private _slots: ReadonlyMap<string, number> = new Map();
  private _pointer: [number, number] | null = null;
  private _pointed: string | null = null;
  private _focused: string | null = null;
  private _mine: string | null = null;
  private _pointedDistance = Infinity;
  private _size = 16;
  private _radius = 16;
  private _font = '16px sans-serif';
}

/** `text`, cut with "…" to fit `width`. */
function fit(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) {
    return text;
  }
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ctx.measureText(chars.slice(0, mid).join('') + '…').width <= width) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return chars.slice(0, lo).join('') + '…';
}
