import { ILabelRequest, IPlacedLabel, placeLabels } from '../model/labels';
import { shownName } from '../model/names';
import { IParticipantInfo } from '../protocol';
import { IClassroom } from '../tokens';

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
}

/**
 * The names on the map, laid out so that none overlaps another (see
 * `model/labels.ts`): the map adds each avatar's label as it draws the
 * avatar, then `draw` places and writes them all on top. A name that does
 * not fit shows while its avatar is pointed at. The boxes drawn are kept on
 * the map's node as `classroomLabels`.
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
    this._texts.clear();
    this._size = size;
    this._radius = radius;
    this._font = `${size}px ${font}`;
    ctx.font = this._font;
    this._pointed = null;
    this._pointedDistance = Infinity;
    this._mine = null;
  }

  add(p: IParticipantInfo, x: number, y: number, speaking: boolean): void {
    const me = p.id === this.model.myId;
    // Measured in `draw`, with the labels' font (the initials change it meanwhile).
    const text = shownName(p, this.model.trans);
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
    this._texts.set(p.id, text);
    this._mine = me ? p.id : this._mine;
    this._requests.push({ id: p.id, x, y, width: 0, height: this._size * 1.2, rank, essential: me });
  }

  draw(ctx: CanvasRenderingContext2D, radius: number, scale: number, colours: { ink: string; floor: string }): void {
    const map = this.model.map;
    if (!map) {
      return;
    }
    ctx.font = this._font;
    const maxWidth = this._size * MAX_WIDTH_EM;
    const pad = this._size * 0.2;
    const yours = (name: string) => this.model.trans.__('%1 (you)', name);
    for (const r of this._requests) {
      const name = this._texts.get(r.id) ?? '';
      // Ours says "(you)" however long the name: the name is what is cut.
      const text =
        r.id === this._mine
          ? yours(fit(ctx, name, maxWidth - ctx.measureText(yours('')).width))
          : fit(ctx, name, maxWidth);
      this._texts.set(r.id, text);
      r.width = ctx.measureText(text).width + 2 * pad;
      if (r.id === this._pointed) {
        r.rank = 1; // pointed at: shown, right after our own
        r.essential = true;
      }
    }
    const placed = placeLabels(
      this._requests,
      radius,
      this._size * 0.15,
      { x: 0, y: 0, width: map.width, height: map.height },
      this._slots
    );
    this._slots = new Map(placed.map(p => [p.id, p.slot]));
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    for (const box of placed) {
      ctx.globalAlpha = 0.8;
      ctx.fillStyle = colours.floor;
      ctx.fillRect(box.x, box.y, box.width, box.height);
      ctx.globalAlpha = 1;
      ctx.fillStyle = colours.ink;
      ctx.fillText(this._texts.get(box.id) ?? '', box.x + pad, box.y + box.height / 2);
    }
    this._publish(placed, scale);
  }

  private _publish(placed: IPlacedLabel[], scale: number): void {
    const boxes: ILabelBox[] = placed.map(b => ({
      id: b.id,
      text: this._texts.get(b.id) ?? '',
      x: b.x * scale,
      y: b.y * scale,
      width: b.width * scale,
      height: b.height * scale
    }));
    Object.assign(this._node, { classroomLabels: boxes });
    this._node.dataset.labelsHidden = String(this._requests.length - placed.length);
  }

  private _requests: ILabelRequest[] = [];
  private _texts = new Map<string, string>();
  private _slots: ReadonlyMap<string, number> = new Map();
  private _pointer: [number, number] | null = null;
  private _pointed: string | null = null;
  private _mine: string | null = null;
  private _focused: string | null = null;
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
