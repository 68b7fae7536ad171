/**
 * Tiled's tile arithmetic, without the DOM: global tile ids and their flip
 * flags, which tileset a tile comes from, where it is in the tileset's image,
 * and the transform a flipped tile is drawn with. Tested in node.
 *
 * See https://doc.mapeditor.org/en/stable/reference/global-tile-ids/
 */

export const FLIPPED_HORIZONTALLY = 0x80000000;
export const FLIPPED_VERTICALLY = 0x40000000;
export const FLIPPED_DIAGONALLY = 0x20000000;
/** Hexagonal maps' 120° rotation; meaningless on orthogonal maps, ignored. */
export const ROTATED_HEXAGONAL_120 = 0x10000000;
const FLAGS = FLIPPED_HORIZONTALLY | FLIPPED_VERTICALLY | FLIPPED_DIAGONALLY | ROTATED_HEXAGONAL_120;

export interface ITileRef {
  /** The global tile id without its flags (0: no tile). */
  gid: number;
  flipH: boolean;
  flipV: boolean;
  flipD: boolean;
}

/** Split a cell of a tile layer into its tile id and flip flags. */
export function decodeGid(raw: number): ITileRef {
  // Cells are unsigned 32-bit numbers; JSON may give them as large doubles.
  const value = raw >>> 0;
  return {
    gid: (value & ~FLAGS) >>> 0,
    flipH: (value & FLIPPED_HORIZONTALLY) !== 0,
    flipV: (value & FLIPPED_VERTICALLY) !== 0,
    flipD: (value & FLIPPED_DIAGONALLY) !== 0
  };
}

/** What the tile arithmetic needs of a tileset (Tiled's own field names). */
export interface ITilesetGeometry {
  firstgid: number;
  tilewidth: number;
  tileheight: number;
  tilecount: number;
  columns: number;
  margin?: number;
  spacing?: number;
}

/**
 * The tileset a gid belongs to: the one with the largest `firstgid` not above
 * it. `tilesets` must be sorted by `firstgid`. Null for gid 0 or past the
 * tileset's last tile.
 */
export function tilesetOf<T extends ITilesetGeometry>(tilesets: readonly T[], gid: number): T | null {
  if (gid <= 0) {
    return null;
  }
  let lo = 0;
  let hi = tilesets.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tilesets[mid].firstgid <= gid) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found < 0) {
    return null;
  }
  const ts = tilesets[found];
  return gid - ts.firstgid < ts.tilecount ? ts : null;
}

/** Where a tile is in its tileset's image (an image-grid tileset). */
export function sourceRect(ts: ITilesetGeometry, gid: number): [number, number, number, number] {
  const local = gid - ts.firstgid;
  const columns = Math.max(1, ts.columns);
  const margin = ts.margin ?? 0;
  const spacing = ts.spacing ?? 0;
  const col = local % columns;
  const row = Math.floor(local / columns);
  return [
    margin + col * (ts.tilewidth + spacing),
    margin + row * (ts.tileheight + spacing),
    ts.tilewidth,
    ts.tileheight
  ];
}

/**
 * The 2x2 part of a canvas transform (a, b, c, d of `setTransform`) that
 * draws a tile flipped as Tiled means it: the diagonal flip first (x and y
 * swapped), then the horizontal, then the vertical. Applied about the
 * tile's centre.
 */
export function flipMatrix(ref: Pick<ITileRef, 'flipH' | 'flipV' | 'flipD'>): [number, number, number, number] {
  // Columns are the images of the x and y unit vectors.
  let xx = 1;
  let xy = 0;
  let yx = 0;
  let yy = 1;
  if (ref.flipD) {
    [xx, xy, yx, yy] = [0, 1, 1, 0];
  }
  if (ref.flipH) {
    xx = -xx;
    yx = -yx;
  }
  if (ref.flipV) {
    xy = -xy;
    yy = -yy;
  }
  // (+ 0 turns a negated zero into a plain one.)
  return [xx + 0, xy + 0, yx + 0, yy + 0];
}

/**
 * A tile layer's cells as numbers: Tiled writes them as an array, or as
 * base64 (uncompressed) little-endian 32-bit numbers. The server hands maps
 * over with arrays; this reads either.
 */
export function layerCells(
  data: number[] | string,
  count: number,
  decodeBase64: (text: string) => Uint8Array
): number[] {
  if (Array.isArray(data)) {
    return data;
  }
  const bytes = decodeBase64(data);
  const cells: number[] = [];
  for (let i = 0; i + 3 < bytes.length && cells.length < count; i += 4) {
    cells.push((bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>> 0);
  }
  return cells;
}
