/**
 * Where the words go on the map, so that none is drawn over another.
 *
 * Rooms' names go first (`placeRoomLabels`): each takes the first place that
 * fits of a few around its room's top edge (a tab just above it, then inside
 * its corners), with the shortest form of its name that must ("Table 5",
 * then "5"); one that fits nowhere is not drawn. One that fits only over
 * someone is drawn beneath the avatars (`under`), like a word on the floor:
 * people walk over it, it never hides them. Those boxes, and anything laid
 * over the map (its buttons), are then obstacles no name may cover.
 *
 * People's names (`placeLabels`) try places around their avatar (below,
 * above, right, left, the corners, then one line farther below or above: a
 * stack under a crowd), each first in their full form and then shorter
 * ones, and take the first that overlaps no label placed before, no
 * obstacle and no other avatar. They are placed in order of importance
 * (ours, raised hands, speakers, the one pointed at, then the rest in a
 * stable order); one that fits nowhere is not drawn (the avatar's initials
 * still say who it is, and the name shows when it is pointed at). A label
 * keeps last frame's place when it still fits, so names do not jump about
 * as people walk. Pure: no DOM, tested with node.
 */

export interface IBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ILabelRequest {
  id: string;
  /** The avatar's centre (map units). */
  x: number;
  y: number;
  /** The label's width in each of its forms, longest first (map units). */
  widths: readonly number[];
  height: number;
  /** The avatar's drawn radius, when not the one all share (a camera's larger bubble). */
  radius?: number;
  /** Lower goes first. */
  rank: number;
  /**
   * Shown even where it must cover other avatars (never a label or an
   * obstacle): our own name, and the one pointed at.
   */
  essential?: boolean;
}

export interface IPlacedLabel extends IBox {
  id: string;
  /** Which of the places around the avatar it took (see `SLOTS`). */
  slot: number;
  /** Which of its forms (an index into `widths`). */
  variant: number;
}

/** Places around an avatar, in order of preference. */
export const SLOTS = [
  'below',
  'above',
  'right',
  'left',
  'below-right',
  'below-left',
  'above-right',
  'above-left',
  'below-2',
  'above-2'
];

export function overlaps(a: IBox, b: IBox): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function inside(box: IBox, bounds: IBox): boolean {
  return (
    box.x >= bounds.x &&
    box.y >= bounds.y &&
    box.x + box.width <= bounds.x + bounds.width &&
    box.y + box.height <= bounds.y + bounds.height
  );
}

function slotBox(r: ILabelRequest, w: number, slot: number, radius: number, gap: number): IBox {
  const { x, y, height: h } = r;
  const d = radius + gap;
  const c = radius * 0.7 + gap; // beside the avatar's corner
  switch (SLOTS[slot]) {
    case 'below':
      return { x: x - w / 2, y: y + d, width: w, height: h };
    case 'above':
      return { x: x - w / 2, y: y - d - h, width: w, height: h };
    case 'right':
      return { x: x + d, y: y - h / 2, width: w, height: h };
    case 'left':
      return { x: x - d - w, y: y - h / 2, width: w, height: h };
    case 'below-right':
      return { x: x + c, y: y + c, width: w, height: h };
    case 'below-left':
      return { x: x - c - w, y: y + c, width: w, height: h };
    case 'above-right':
      return { x: x + c, y: y - c - h, width: w, height: h };
    case 'above-left':
      return { x: x - c - w, y: y - c - h, width: w, height: h };
    case 'below-2':
      return { x: x - w / 2, y: y + d + h + gap, width: w, height: h };
    default:
      return { x: x - w / 2, y: y - d - 2 * h - gap, width: w, height: h };
  }
}

/**
 * Place people's labels: none overlaps another or an obstacle, none covers
 * another avatar unless essential, and none leaves `bounds`. `previous` (id
 * to slot) is where each was last time.
 */
export function placeLabels(
  requests: readonly ILabelRequest[],
  radius: number,
  gap: number,
  bounds: IBox,
  previous: ReadonlyMap<string, number> = new Map(),
  obstacles: readonly IBox[] = []
): IPlacedLabel[] {
  const order = [...requests].sort((a, b) => a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const discs = requests.map(r => ({
    id: r.id,
    box: {
      x: r.x - (r.radius ?? radius),
      y: r.y - (r.radius ?? radius),
      width: 2 * (r.radius ?? radius),
      height: 2 * (r.radius ?? radius)
    }
  }));
  const placed: IPlacedLabel[] = [];
  const all = SLOTS.map((_, i) => i);
  for (const r of order) {
    const last = previous.get(r.id);
    const tries = last === undefined ? all : [last, ...all.filter(i => i !== last)];
    const fits = (box: IBox, clearOfAvatars: boolean) =>
      inside(box, bounds) &&
      !placed.some(p => overlaps(p, box)) &&
      !obstacles.some(o => overlaps(o, box)) &&
      (!clearOfAvatars || !discs.some(d => d.id !== r.id && overlaps(d.box, box)));
    // Clear of the avatars if it can be; an essential label anywhere free of labels.
    search: for (const clearOfAvatars of r.essential ? [true, false] : [true]) {
      for (let variant = 0; variant < r.widths.length; variant++) {
        for (const slot of tries) {
          const box = slotBox(r, r.widths[variant], slot, r.radius ?? radius, gap);
          if (fits(box, clearOfAvatars)) {
            placed.push({ id: r.id, slot, variant, ...box });
            break search;
          }
        }
      }
    }
  }
  return placed;
}

export interface IRoomLabelRequest {
  id: string;
  /** The room's box (map units). */
  room: IBox;
  /** The label's width in each of its forms, longest first (map units). */
  widths: readonly number[];
  height: number;
}

export interface IPlacedRoomLabel extends IBox {
  id: string;
  variant: number;
  /** It lies under an avatar: drawn beneath the avatars, not over them. */
  under: boolean;
}

/**
 * Where a room's name may go, best first: a tab above its top-left corner,
 * inside its corners, a tab below it, beside it.
 */
function roomSpots(room: IBox, w: number, h: number, gap: number): IBox[] {
  const left = room.x + gap;
  const right = room.x + room.width - gap - w;
  const top = room.y + gap;
  const bottom = room.y + room.height - gap - h;
  return [
    { x: room.x, y: room.y - h - gap, width: w, height: h },
    { x: left, y: top, width: w, height: h },
    { x: right, y: top, width: w, height: h },
    { x: left, y: bottom, width: w, height: h },
    { x: right, y: bottom, width: w, height: h },
    { x: room.x, y: room.y + room.height + gap, width: w, height: h },
    { x: room.x - w - gap, y: top, width: w, height: h },
    { x: room.x + room.width + gap, y: top, width: w, height: h }
  ];
}

/**
 * Place rooms' names: each no wider than its room, inside `bounds`, over no
 * other room's name and no obstacle (the map's buttons); shorter forms
 * before none at all. Clear of the avatars (`avoid`) where any form fits
 * somewhere; where none does, in its first place that fits otherwise,
 * marked `under` (drawn beneath the avatars: a name over someone would hide
 * who it is).
 */
export function placeRoomLabels(
  requests: readonly IRoomLabelRequest[],
  gap: number,
  bounds: IBox,
  obstacles: readonly IBox[] = [],
  avoid: readonly IBox[] = []
): IPlacedRoomLabel[] {
  const placed: IPlacedRoomLabel[] = [];
  for (const r of requests) {
    search: for (const clear of [avoid, []]) {
      for (let variant = 0; variant < r.widths.length; variant++) {
        const w = r.widths[variant];
        if (w > r.room.width) {
          continue;
        }
        for (const box of roomSpots(r.room, w, r.height, gap)) {
          if (inside(box, bounds) && ![...placed, ...obstacles, ...clear].some(o => overlaps(o, box))) {
            placed.push({ id: r.id, variant, ...box, under: avoid.some(o => overlaps(o, box)) });
            break search;
          }
        }
      }
    }
  }
  return placed;
}

/**
 * A room's name in shorter forms, longest first: "Table 5", then "5" (a name
 * that ends in a number), then its first letters with "…".
 */
export function roomNameForms(name: string): string[] {
  const forms = [name];
  const number = /\s(\d+)$/.exec(name);
  if (number) {
    forms.push(number[1]);
  } else {
    const chars = [...name];
    for (const n of [6, 3]) {
      if (chars.length > n + 1) {
        forms.push(chars.slice(0, n).join('') + '…');
      }
    }
  }
  return forms;
}

/** The bounding box of a polygon. */
export function boxOf(polygon: readonly (readonly [number, number])[]): IBox {
  const xs = polygon.map(p => p[0]);
  const ys = polygon.map(p => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}
