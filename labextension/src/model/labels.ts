/**
 * Where the names go on the map, so that none is drawn over another.
 *
 * Each label tries a few places around its avatar (below, above, right,
 * left, then the corners) and takes the first that overlaps no label placed
 * before it and no other avatar. Labels are placed in order of importance
 * (ours, raised hands, speakers, the one pointed at, then the rest in a
 * stable order); one that fits nowhere is not drawn, and shows when its
 * avatar is pointed at (the participant list names everyone in any case).
 * A label keeps last frame's place when it still fits, so names do not jump
 * about as people walk. Pure: no DOM, tested with node.
 */

export interface ILabelRequest {
  id: string;
  /** The avatar's centre (map units). */
  x: number;
  y: number;
  /** The label's size (map units). */
  width: number;
  height: number;
  /** Lower goes first. */
  rank: number;
  /**
   * Shown even where it must cover other avatars (never another label): our
   * own name, and the one pointed at.
   */
  essential?: boolean;
}

export interface IBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface IPlacedLabel extends IBox {
  id: string;
  /** Which of the places around the avatar it took (see `SLOTS`). */
  slot: number;
}

/** Places around an avatar, in order of preference. */
export const SLOTS = ['below', 'above', 'right', 'left', 'below-right', 'below-left', 'above-right', 'above-left'];

export function overlaps(a: IBox, b: IBox): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function slotBox(r: ILabelRequest, slot: number, radius: number, gap: number): IBox {
  const { x, y, width: w, height: h } = r;
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
    default:
      return { x: x - c - w, y: y - c - h, width: w, height: h };
  }
}

/**
 * Place the labels: none overlaps another, none covers another avatar, and
 * none leaves `bounds`. `previous` (id to slot) is where each was last time.
 */
export function placeLabels(
  requests: readonly ILabelRequest[],
  radius: number,
  gap: number,
  bounds: IBox,
  previous: ReadonlyMap<string, number> = new Map()
): IPlacedLabel[] {
  const order = [...requests].sort((a, b) => a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const discs = requests.map(r => ({
    id: r.id,
    box: { x: r.x - radius, y: r.y - radius, width: 2 * radius, height: 2 * radius }
  }));
  const placed: IPlacedLabel[] = [];
  for (const r of order) {
    const last = previous.get(r.id);
    const tries =
      last === undefined ? SLOTS.map((_, i) => i) : [last, ...SLOTS.map((_, i) => i).filter(i => i !== last)];
    const fits = (box: IBox, clearOfAvatars: boolean) =>
      box.x >= bounds.x &&
      box.y >= bounds.y &&
      box.x + box.width <= bounds.x + bounds.width &&
      box.y + box.height <= bounds.y + bounds.height &&
      !placed.some(p => overlaps(p, box)) &&
      (!clearOfAvatars || !discs.some(d => d.id !== r.id && overlaps(d.box, box)));
    // Clear of the avatars if it can be; an essential label anywhere free of labels.
    for (const clearOfAvatars of r.essential ? [true, false] : [true]) {
      const slot = tries.find(s => fits(slotBox(r, s, radius, gap), clearOfAvatars));
      if (slot !== undefined) {
        placed.push({ id: r.id, slot, ...slotBox(r, slot, radius, gap) });
        break;
      }
    }
  }
  return placed;
}
