/**
 * Map geometry shared by movement prediction and path finding. The server
 * checks the same rules (jupyter_classroom/classroom/map.py); the client keeps
 * a pixel of margin so its moves are never refused for rounding.
 */

export interface IBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface IGeometry {
  width: number;
  height: number;
  walls: IBox[];
}

export type Point = [number, number];

export function blocked(map: IGeometry, x: number, y: number, r: number): boolean {
  if (x - r < 0 || y - r < 0 || x + r > map.width || y + r > map.height) {
    return true;
  }
  const r2 = r * r;
  for (const w of map.walls) {
    const nx = Math.min(Math.max(x, w.x), w.x + w.width);
    const ny = Math.min(Math.max(y, w.y), w.y + w.height);
    if ((x - nx) ** 2 + (y - ny) ** 2 < r2) {
      return true;
    }
  }
  return false;
}

export function pathClear(map: IGeometry, x0: number, y0: number, x1: number, y1: number, r: number): boolean {
  const length = Math.hypot(x1 - x0, y1 - y0);
  const steps = Math.max(1, Math.ceil(length / Math.max(r / 2, 1)));
  for (let i = 1; i <= steps; i++) {
    const t = i / steps;
    if (blocked(map, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, r)) {
      return false;
    }
  }
  return true;
}

/**
 * Move by (dx, dy), sliding along walls: the full step if it is free, else
 * whichever axis is free, else stay.
 */
export function slide(map: IGeometry, x: number, y: number, dx: number, dy: number, r: number): Point {
  if (!blocked(map, x + dx, y + dy, r)) {
    return [x + dx, y + dy];
  }
  if (dx !== 0 && !blocked(map, x + dx, y, r)) {
    return [x + dx, y];
  }
  if (dy !== 0 && !blocked(map, x, y + dy, r)) {
    return [x, y + dy];
  }
  return [x, y];
}

/** Even-odd point-in-polygon test. */
export function inPolygon(polygon: Point[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) {
      inside = !inside;
    }
  }
  return inside;
}

/**
 * A walkable path from `from` to `to` (A* over a grid of `cell` pixels, then
 * shortened to straight runs), or null when `to` cannot be reached. The last
 * point is the nearest free spot to `to`.
 */
export function findPath(map: IGeometry, from: Point, to: Point, r: number, cell = 16): Point[] | null {
  const cols = Math.floor(map.width / cell);
  const rows = Math.floor(map.height / cell);
  const centre = (c: number, k: number): Point => [c * cell + cell / 2, k * cell + cell / 2];
  const freeCache = new Map<number, boolean>();
  const free = (c: number, k: number): boolean => {
    if (c < 0 || k < 0 || c >= cols || k >= rows) {
      return false;
    }
    const key = k * cols + c;
    let v = freeCache.get(key);
    if (v === undefined) {
      const [x, y] = centre(c, k);
      v = !blocked(map, x, y, r);
      freeCache.set(key, v);
    }
    return v;
  };
  const toCell = (p: Point): [number, number] => [
    Math.min(cols - 1, Math.max(0, Math.floor(p[0] / cell))),
    Math.min(rows - 1, Math.max(0, Math.floor(p[1] / cell)))
  ];
  const nearestFree = (c: number, k: number): [number, number] | null => {
    for (let d = 0; d < Math.max(cols, rows); d++) {
      for (let dc = -d; dc <= d; dc++) {
        for (let dk = -d; dk <= d; dk++) {
          if (Math.max(Math.abs(dc), Math.abs(dk)) === d && free(c + dc, k + dk)) {
            return [c + dc, k + dk];
          }
        }
      }
    }
    return null;
  };
  const start = nearestFree(...toCell(from));
  const goalCell = toCell(to);
  const goal = free(...goalCell) ? goalCell : nearestFree(...goalCell);
  if (!start || !goal) {
    return null;
  }
  const idx = (c: number, k: number) => k * cols + c;
  const g = new Map<number, number>([[idx(...start), 0]]);
  const parent = new Map<number, number>();
  const h = (c: number, k: number) => Math.hypot(c - goal[0], k - goal[1]);
  // A small binary heap keyed by f = g + h.
  const heap: [number, number][] = [[h(...start), idx(...start)]];
  const push = (item: [number, number]) => {
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p][0] <= heap[i][0]) {
        break;
      }
      [heap[p], heap[i]] = [heap[i], heap[p]];
      i = p;
    }
  };
  const pop = (): [number, number] => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const a = 2 * i + 1;
        const b = a + 1;
        let m = i;
        if (a < heap.length && heap[a][0] < heap[m][0]) {
          m = a;
        }
        if (b < heap.length && heap[b][0] < heap[m][0]) {
          m = b;
        }
        if (m === i) {
          break;
        }
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  };
  const goalIdx = idx(...goal);
  const closed = new Set<number>();
  while (heap.length) {
    const [, cur] = pop();
    if (cur === goalIdx) {
      break;
    }
    if (closed.has(cur)) {
      continue;
    }
    closed.add(cur);
    const c = cur % cols;
    const k = Math.floor(cur / cols);
    for (let dc = -1; dc <= 1; dc++) {
      for (let dk = -1; dk <= 1; dk++) {
        if ((dc || dk) && free(c + dc, k + dk) && (!dc || !dk || (free(c + dc, k) && free(c, k + dk)))) {
          const n = idx(c + dc, k + dk);
          const cost = g.get(cur)! + (dc && dk ? Math.SQRT2 : 1);
          if (cost < (g.get(n) ?? Infinity)) {
            g.set(n, cost);
            parent.set(n, cur);
            push([cost + h(c + dc, k + dk), n]);
          }
        }
      }
    }
  }
  if (!g.has(goalIdx)) {
    return null;
  }
  const cells: Point[] = [];
  for (let n: number | undefined = goalIdx; n !== undefined; n = parent.get(n)) {
    cells.push(centre(n % cols, Math.floor(n / cols)));
  }
  cells.reverse();
  const exact =
    !blocked(map, to[0], to[1], r) &&
    pathClear(map, cells[cells.length - 1][0], cells[cells.length - 1][1], to[0], to[1], r);
  if (exact) {
    cells.push([to[0], to[1]]);
  }
  // Shorten: from each point, jump to the farthest one in straight sight.
  const path: Point[] = [];
  let here: Point = [from[0], from[1]];
  let i = 0;
  while (i < cells.length) {
    let j = cells.length - 1;
    while (j > i && !pathClear(map, here[0], here[1], cells[j][0], cells[j][1], r)) {
      j--;
    }
    here = cells[j];
    path.push(here);
    i = j + 1;
  }
  return path;
}

/** A position sample of a remote avatar, at local time `t` (ms). */
export interface ISample {
  t: number;
  x: number;
  y: number;
}

/**
 * Where an avatar was at time `t`, interpolating between the samples around
 * it (samples oldest first). Past the newest sample it stays there.
 */
export function interpolate(samples: ISample[], t: number): Point | null {
  if (!samples.length) {
    return null;
  }
  if (t <= samples[0].t) {
    return [samples[0].x, samples[0].y];
  }
  for (let i = samples.length - 1; i > 0; i--) {
    const a = samples[i - 1];
    const b = samples[i];
    if (t >= a.t && t <= b.t) {
      const f = b.t === a.t ? 1 : (t - a.t) / (b.t - a.t);
      return [a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f];
    }
  }
  const last = samples[samples.length - 1];
  return [last.x, last.y];
}

/** Reconnect delay: exponential from 0.5 s to 10 s, with ±25% jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(10000, 500 * 2 ** attempt);
  return Math.round(base * (0.75 + random() * 0.5));
}

/** Tries, about a second apart, while the server restarts (about two minutes). */
export const RESTART_ATTEMPTS = 150;
const RESTART_RETRY_MS = 1000;

/**
 * How long to wait before connecting again: while the server is restarting
 * (it said so as it closed the connection), often and steadily, so people
 * are back within about a second of it; otherwise with growing backoff.
 */
export function retryDelay(attempt: number, restarting: boolean, random: () => number = Math.random): number {
  if (restarting && attempt < RESTART_ATTEMPTS) {
    return Math.round(RESTART_RETRY_MS * (0.6 + random() * 0.4));
  }
  return backoffDelay(attempt, random);
}
