/**
 * The map's view: how the map is scaled and which part of it is shown in the
 * space the panel gives it. Pure arithmetic, tested in node.
 *
 * Zoom 1 shows the whole map, as large as the space allows; zooming in
 * shows a part of it around a centre (our avatar when following). The
 * canvas covers only the part of the map that is shown, so at zoom 1 it is
 * exactly the map (centred in its space), and zoomed in it fills the space.
 */

/** Zoom levels the buttons and keys step through (1 = the whole map). */
export const ZOOM_LEVELS: readonly number[] = [1, 1.5, 2, 3, 4, 6];

export interface IViewInput {
  /** The space given to the map, in CSS pixels. */
  boxWidth: number;
  boxHeight: number;
  /** The map's size, in map pixels. */
  mapWidth: number;
  mapHeight: number;
  /** 1 = the whole map fits. */
  zoom: number;
  /** The map point to centre on (as far as the map's edges allow). */
  centre: readonly [number, number];
}

export interface IView {
  /** CSS pixels per map pixel. */
  scale: number;
  /** The canvas's place in the space, in CSS pixels. */
  left: number;
  top: number;
  width: number;
  height: number;
  /** The map point at the canvas's top-left corner. */
  originX: number;
  originY: number;
}

/** The scale at which the whole map fits the space. */
export function fitScale(boxWidth: number, boxHeight: number, mapWidth: number, mapHeight: number): number {
  if (boxWidth <= 0 || mapWidth <= 0 || mapHeight <= 0) {
    return 0;
  }
  // A space with no height yet (not laid out) fits by width.
  const byWidth = boxWidth / mapWidth;
  return boxHeight > 0 ? Math.min(byWidth, boxHeight / mapHeight) : byWidth;
}

/** One axis: the canvas's offset and length in the box, and the map coordinate at its start. */
function axis(box: number, drawn: number, mapLength: number, scale: number, centre: number): [number, number, number] {
  if (drawn <= box) {
    return [(box - drawn) / 2, drawn, 0];
  }
  const shown = box / scale;
  const origin = Math.min(Math.max(centre - shown / 2, 0), mapLength - shown);
  return [0, box, origin];
}

export function computeView(input: IViewInput): IView {
  const { boxWidth, boxHeight, mapWidth, mapHeight } = input;
  const zoom = Math.max(1, input.zoom);
  const scale = fitScale(boxWidth, boxHeight, mapWidth, mapHeight) * zoom;
  if (!scale) {
    return { scale: 0, left: 0, top: 0, width: 0, height: 0, originX: 0, originY: 0 };
  }
  const height = boxHeight > 0 ? boxHeight : mapHeight * scale;
  const [left, w, originX] = axis(boxWidth, mapWidth * scale, mapWidth, scale, input.centre[0]);
  const [top, h, originY] = axis(height, mapHeight * scale, mapHeight, scale, input.centre[1]);
  return { scale, left, top, width: w, height: h, originX, originY };
}

/** The map point under a point of the canvas (CSS pixels from its top-left corner). */
export function toMap(view: IView, x: number, y: number): [number, number] {
  return [view.originX + x / view.scale, view.originY + y / view.scale];
}

/** The canvas point (CSS pixels) of a map point. */
export function toCanvas(view: IView, x: number, y: number): [number, number] {
  return [(x - view.originX) * view.scale, (y - view.originY) * view.scale];
}

/** The next zoom level in a direction (+1 in, -1 out), staying within the levels. */
export function stepZoom(zoom: number, direction: 1 | -1): number {
  if (direction > 0) {
    return ZOOM_LEVELS.find(z => z > zoom + 1e-9) ?? ZOOM_LEVELS[ZOOM_LEVELS.length - 1];
  }
  const lower = ZOOM_LEVELS.filter(z => z < zoom - 1e-9);
  return lower.length ? lower[lower.length - 1] : ZOOM_LEVELS[0];
}
