/**
 * What we tell the server we show (`shown`), without the DOM: the room's
 * videos whose tiles are on screen, with their size. The server sends us no
 * others, and tells a publisher nobody watches to stop encoding. Tested in node.
 */
import { IShownTile, VideoSource } from '../protocol';

/** A tile as the view measures it. */
export interface IVisibleTile {
  participant: string;
  source: VideoSource;
  width: number;
  height: number;
}

/** The most tiles a report may name (the protocol's bound on `shown`). */
export const MAX_TILES = 60;

/** Sizes are reported to the nearest 16 px: a tile growing by a pixel is no news. */
export const SIZE_STEP = 16;

/** The report for these tiles: sorted, sizes rounded, so equal views give equal reports. */
export function shownReport(tiles: Iterable<IVisibleTile>): IShownTile[] {
  const round = (n: number) => Math.max(0, Math.round(n / SIZE_STEP) * SIZE_STEP);
  return [...tiles]
    .map(t => ({ participant: t.participant, source: t.source, width: round(t.width), height: round(t.height) }))
    .sort((a, b) =>
      a.participant === b.participant ? a.source.localeCompare(b.source) : a.participant.localeCompare(b.participant)
    );
}

/** Whether two reports say the same. */
export function sameReport(a: readonly IShownTile[] | null, b: readonly IShownTile[]): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}
