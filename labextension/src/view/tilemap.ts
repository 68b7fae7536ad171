import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { decodeGid, flipMatrix, ITilesetGeometry, sourceRect, tilesetOf } from './tiles';

/** A tileset as the server hands it over (embedded, image names to fetch). */
interface ITileset extends ITilesetGeometry {
  name?: string;
  image?: string;
  tileoffset?: { x?: number; y?: number };
  tiles?: { id: number; image?: string }[];
}

interface ILayer {
  type?: string;
  name?: string;
  visible?: boolean;
  opacity?: number;
  offsetx?: number;
  offsety?: number;
  width?: number;
  height?: number;
  data?: number[];
  chunks?: { x: number; y: number; width: number; height: number; data: number[] }[];
  layers?: ILayer[];
  objects?: { gid?: number; x?: number; y?: number; width?: number; height?: number; visible?: boolean }[];
  image?: string;
}

interface IMapDocument {
  width: number;
  height: number;
  tilewidth: number;
  tileheight: number;
  tilesets?: ITileset[];
  layers?: ILayer[];
  classroomRevision?: string;
}

/** Object layers the classroom's rules read: not drawn as pictures. */
const RULE_LAYERS = new Set(['walls', 'rooms', 'spawn']);
/** WorkAdventure's marker: the layers after it are drawn over the avatars. */
const FLOOR_LAYER = 'floorLayer';
/** The largest side of the cached pictures (bigger maps are cached scaled down). */
const MAX_CACHE_SIDE = 4096;

type Source = ImageBitmap | HTMLImageElement;

/**
 * The pictures of a Tiled map: its tile layers, tile objects and image
 * layers, drawn once into two canvases (under and over the avatars) from the
 * tilesets' images. The server serves the map (`classroom/map`) with its
 * tilesets inlined and the images it names (`classroom/map/files/…`).
 */
export class TileMap {
  private constructor(
    readonly revision: string,
    readonly width: number,
    readonly height: number,
    readonly below: HTMLCanvasElement,
    readonly above: HTMLCanvasElement | null
  ) {}

  /**
   * Fetch the map and its images and draw them. Null when the map has no
   * pictures (then the view draws rooms and walls itself). `current` is
   * kept when the server's map is still the one it was drawn from (after a
   * reconnection, say).
   */
  static async load(
    current: TileMap | null = null,
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ): Promise<TileMap | null> {
    const base = URLExt.join(settings.baseUrl, 'classroom', 'map');
    const response = await ServerConnection.makeRequest(base, {}, settings);
    if (!response.ok) {
      throw new Error(`the map could not be loaded (${response.status})`);
    }
    const doc = (await response.json()) as IMapDocument;
    if (current && doc.classroomRevision && doc.classroomRevision === current.revision) {
      return current;
    }
    const names = new Set<string>();
    const collect = (layers: ILayer[] | undefined) => {
      for (const layer of layers ?? []) {
        if (layer.type === 'imagelayer' && layer.image) {
          names.add(layer.image);
        }
        collect(layer.layers);
      }
    };
    for (const ts of doc.tilesets ?? []) {
      if (ts.image) {
        names.add(ts.image);
      }
      for (const tile of ts.tiles ?? []) {
        if (tile.image) {
          names.add(tile.image);
        }
      }
    }
    collect(doc.layers);
    const images = new Map<string, Source>();
    await Promise.all(
      [...names].map(async name => {
        const url = URLExt.join(base, 'files', ...name.split('/').map(encodeURIComponent));
        try {
          const r = await ServerConnection.makeRequest(url, {}, settings);
          if (r.ok) {
            images.set(name, await createImageBitmap(await r.blob()));
          } else {
            console.warn(`classroom: map image ${name} could not be loaded (${r.status})`);
          }
        } catch (reason) {
          console.warn(`classroom: map image ${name} could not be loaded`, reason);
        }
      })
    );
    return TileMap.draw(doc, images);
  }

  /** Draw a map document with its images; null when nothing is drawn. */
  static draw(doc: IMapDocument, images: Map<string, Source>): TileMap | null {
    const width = doc.width * doc.tilewidth;
    const height = doc.height * doc.tileheight;
    if (!(width > 0 && height > 0)) {
      return null;
    }
    const scale = Math.min(1, MAX_CACHE_SIDE / Math.max(width, height));
    const canvas = () => {
      const c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(width * scale));
      c.height = Math.max(1, Math.round(height * scale));
      const ctx = c.getContext('2d')!;
      ctx.imageSmoothingEnabled = false;
      ctx.scale(scale, scale);
      return c;
    };
    const tilesets = [...(doc.tilesets ?? [])].sort((a, b) => a.firstgid - b.firstgid);
    const painter = new Painter(doc, tilesets, images);
    const below = canvas();
    let above: HTMLCanvasElement | null = null;
    let target = below;
    const paint = (layers: ILayer[], dx: number, dy: number, opacity: number) => {
      for (const layer of layers) {
        if (layer.visible === false) {
          continue;
        }
        if (layer.type === 'objectgroup' && layer.name === FLOOR_LAYER && !above) {
          above = canvas();
          target = above;
          continue;
        }
        const ox = dx + (layer.offsetx ?? 0);
        const oy = dy + (layer.offsety ?? 0);
        const alpha = opacity * (layer.opacity ?? 1);
        const ctx = target.getContext('2d')!;
        ctx.globalAlpha = alpha;
        switch (layer.type) {
          case 'tilelayer':
            painter.tileLayer(ctx, layer, ox, oy);
            break;
          case 'objectgroup':
            if (!RULE_LAYERS.has(layer.name ?? '')) {
              painter.tileObjects(ctx, layer, ox, oy);
            }
            break;
          case 'imagelayer':
            painter.imageLayer(ctx, layer, ox, oy);
            break;
          case 'group':
            paint(layer.layers ?? [], ox, oy, alpha);
            break;
        }
        ctx.globalAlpha = 1;
      }
    };
    paint(doc.layers ?? [], 0, 0, 1);
    if (!painter.drawn) {
      return null;
    }
    return new TileMap(doc.classroomRevision ?? '', width, height, below, above);
  }
}

/** Draws tiles, counting what it drew. */
class Painter {
  constructor(
    readonly doc: IMapDocument,
    readonly tilesets: ITileset[],
    readonly images: Map<string, Source>
  ) {}

  drawn = 0;

  tileLayer(ctx: CanvasRenderingContext2D, layer: ILayer, ox: number, oy: number): void {
    if (layer.data && layer.width) {
      this._cells(ctx, layer.data, layer.width, 0, 0, ox, oy);
    }
    for (const chunk of layer.chunks ?? []) {
      this._cells(ctx, chunk.data, chunk.width, chunk.x, chunk.y, ox, oy);
    }
  }

  tileObjects(ctx: CanvasRenderingContext2D, layer: ILayer, ox: number, oy: number): void {
    for (const o of layer.objects ?? []) {
      if (!o.gid || o.visible === false) {
        continue;
      }
      const w = o.width ?? 0;
      const h = o.height ?? 0;
      // Tile objects hang from their bottom-left corner.
      this._tile(ctx, o.gid, ox + (o.x ?? 0), oy + (o.y ?? 0) - h, w || undefined, h || undefined);
    }
  }

  imageLayer(ctx: CanvasRenderingContext2D, layer: ILayer, ox: number, oy: number): void {
    const image = layer.image ? this.images.get(layer.image) : undefined;
    if (image) {
      ctx.drawImage(image, ox, oy);
      this.drawn++;
    }
  }

  private _cells(
    ctx: CanvasRenderingContext2D,
    data: number[],
    columns: number,
    x0: number,
    y0: number,
    ox: number,
    oy: number
  ): void {
    const { tilewidth, tileheight } = this.doc;
    for (let i = 0; i < data.length; i++) {
      if (!data[i]) {
        continue;
      }
      const x = (x0 + (i % columns)) * tilewidth + ox;
      // A tile taller than the grid rises from its cell's bottom edge.
      const bottom = (y0 + Math.floor(i / columns) + 1) * tileheight + oy;
      this._tile(ctx, data[i], x, bottom, undefined, undefined, true);
    }
  }

  /**
   * Draw one tile. With `fromBottom`, `y` is the cell's bottom edge and the
   * tile is drawn at its own size; otherwise `y` is its top and `w`, `h`
   * (a tile object's size) scale it.
   */
  private _tile(
    ctx: CanvasRenderingContext2D,
    raw: number,
    x: number,
    y: number,
    w?: number,
    h?: number,
    fromBottom = false
  ): void {
    const ref = decodeGid(raw);
    const ts = tilesetOf(this.tilesets, ref.gid);
    if (!ts) {
      return;
    }
    let image: Source | undefined;
    let sx = 0;
    let sy = 0;
    let sw = ts.tilewidth;
    let sh = ts.tileheight;
    if (ts.image) {
      image = this.images.get(ts.image);
      [sx, sy, sw, sh] = sourceRect(ts, ref.gid);
    } else {
      // An image collection: each tile is an image of its own.
      const tile = ts.tiles?.find(t => t.id === ref.gid - ts.firstgid);
      image = tile?.image ? this.images.get(tile.image) : undefined;
      if (image) {
        sw = image.width;
        sh = image.height;
      }
    }
    if (!image) {
      return;
    }
    const dw = w ?? sw;
    const dh = h ?? sh;
    const dx = x + (ts.tileoffset?.x ?? 0);
    const dy = (fromBottom ? y - dh : y) + (ts.tileoffset?.y ?? 0);
    if (ref.flipH || ref.flipV || ref.flipD) {
      const [a, b, c, d] = flipMatrix(ref);
      ctx.save();
      ctx.translate(dx + dw / 2, dy + dh / 2);
      ctx.transform(a, b, c, d, 0, 0);
      ctx.drawImage(image, sx, sy, sw, sh, -dw / 2, -dh / 2, dw, dh);
      ctx.restore();
    } else {
      ctx.drawImage(image, sx, sy, sw, sh, dx, dy, dw, dh);
    }
    this.drawn++;
  }
}
