/**
 * Where avatars are drawn, so that no bubble covers another.
 *
 * Seats at a table are closer together than the avatars are drawn when the
 * whole map is shown in a small panel (an avatar keeps a readable size on
 * screen, so in map units it grows as the map shrinks): three people at
 * neighbouring seats would be one blob. Bubbles that overlap are pushed
 * apart along the line between their centres, each by half of what is
 * missing, until none overlaps (or a bounded number of rounds has passed).
 * Our own avatar is not moved, so that where we walk is where we are drawn.
 * Only the drawing moves: the server's positions are untouched. Pure: no
 * DOM, tested with node.
 */

export interface IDisc {
  id: string;
  x: number;
  y: number;
  /** The drawn radius (map units). */
  r: number;
  /** Never moved (our own avatar). */
  fixed?: boolean;
}

/** At most this many rounds of pushing apart (a crowd converges in a few). */
const ROUNDS = 64;

/**
 * The discs' centres moved apart so that any two are at least the sum of
 * their radii and `gap` apart. Deterministic for the same input (whatever
 * its order); discs that do not touch another keep their place.
 */
export function spreadDiscs(discs: readonly IDisc[], gap: number): Map<string, [number, number]> {
  // A stable order (by id), so that the result does not depend on the roster's order.
  const items = [...discs]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((d, index) => ({ ...d, index }));
  const reach = 2 * Math.max(0, ...items.map(d => d.r)) + gap;
  for (let round = 0; round < ROUNDS; round++) {
    // Sweep along x: only discs less than `reach` apart in x can touch.
    const byX = [...items].sort((a, b) => a.x - b.x || a.index - b.index);
    let moved = false;
    for (let i = 0; i < byX.length; i++) {
      const a = byX[i];
      for (let j = i + 1; j < byX.length && byX[j].x - a.x < reach; j++) {
        const b = byX[j];
        const need = a.r + b.r + gap;
        let dx = b.x - a.x;
        let dy = b.y - a.y;
        let d = Math.hypot(dx, dy);
        if (d >= need - 1e-6) {
          continue;
        }
        if (a.fixed && b.fixed) {
          continue;
        }
        if (d < 1e-6) {
          // On the same spot: apart in a direction of their own (golden angles),
          // so that a crowd on one spot spreads around it, not in a line.
          const angle = (a.index + b.index) * 2.39996;
          const sign = a.index < b.index ? 1 : -1;
          dx = sign * Math.cos(angle);
          dy = sign * Math.sin(angle);
          d = 1;
        }
        const push = need - d;
        const ux = dx / d;
        const uy = dy / d;
        // Each gives way by half, or the other by all when one is fixed.
        const shareA = a.fixed ? 0 : b.fixed ? 1 : 0.5;
        const shareB = 1 - shareA;
        a.x -= ux * push * shareA;
        a.y -= uy * push * shareA;
        b.x += ux * push * shareB;
        b.y += uy * push * shareB;
        moved = true;
      }
    }
    if (!moved) {
      break;
    }
  }
  return new Map(items.map(d => [d.id, [d.x, d.y]]));
}
