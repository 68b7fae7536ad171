/**
 * How the panel arranges the map, the people and chat, and the teaching
 * tools in the space it has. Pure arithmetic, tested in node.
 *
 * - `columns`: the map on the left, people and chat in a column beside it,
 *   and for instructors the teaching tools in a column of their own.
 * - `stacked`: the map across the top at its own aspect ratio, people, chat
 *   and the teaching tools under it (the sidebar, a tall main-area column).
 * - `tabs`: one of Map, People, Chat (and Teaching) at a time, for spaces
 *   too short for the map and a usable chat together; where the map's width
 *   leaves height in its tab, the list of people goes there instead of a tab.
 */

export type LayoutMode = 'columns' | 'stacked' | 'tabs';

/** Widths and heights the arrangement needs, in CSS pixels. */
export const SIDE_WIDTH = 320;
export const TEACHING_WIDTH = 300;
/** The map column's least width beside the others. */
export const MAP_MIN_WIDTH = 360;
/** The side column's least height: the list and a chat with its box and Send button. */
export const COLUMN_MIN_HEIGHT = 320;
/** Under the map in `stacked`: the list and a chat with its box and Send button. */
export const STACK_BELOW_MIN = 300;
/** The map's share of the height at most in `stacked`. */
export const STACK_MAP_SHARE = 0.45;
/** What the stage shows around the map (its toolbar, the call's badge, the class's state). */
export const STAGE_CHROME = 96;
/**
 * In `stacked`, the map's least height, or in a narrow column this share of
 * its whole height at the column's width: a map squeezed below it is no
 * longer a map to walk on, and tabs show it larger.
 */
export const STACK_MAP_MIN = 150;
export const STACK_MAP_MIN_SHARE = 0.8;
/**
 * In `columns`, the height a map limited by its column's width must leave
 * under it (besides the camera tiles) for the list of people to go there,
 * under the map, rather than leave an empty band.
 */
export const PEOPLE_UNDER_MIN = 160;
/**
 * In `tabs`, what the Map tab's stage, measured, must leave under it for the
 * list: its heading and three people. Less than in `columns`, where the
 * stage is estimated (STAGE_CHROME counts what may not be shown), and a
 * little more than the stacked list's least height (96 px in layout.css).
 */
export const PEOPLE_UNDER_TAB_MIN = 120;
/** The tab strip's height in `tabs`. */
export const TAB_STRIP = 40;

export interface ILayoutInput {
  /** The body's size. */
  width: number;
  height: number;
  /** The map's size (its aspect ratio is what matters). */
  mapWidth: number;
  mapHeight: number;
  /** Whether the teaching tools are shown (instructors). */
  teaching: boolean;
  /**
   * What the stage shows under the map besides the class's state (the
   * camera tiles): in `stacked` on top of the list and chat's least height,
   * in `columns` not spare room for the list.
   */
  belowMap?: number;
  /**
   * The height the Map tab's stage takes (its badge, buttons, map, class's
   * state and tiles), measured (0: not known yet): in `tabs`, what it
   * leaves under it decides whether the list of people goes there.
   */
  mapTab?: number;
}

export interface ILayout {
  mode: LayoutMode;
  /** Whether the teaching tools have a column of their own (`columns` for instructors). */
  teachingColumn: boolean;
  /** The largest height the map's box may take. */
  mapMaxHeight: number;
  /**
   * The people's list under the map: in `columns` the chat then has the side
   * column's height; in `tabs` the list is in the Map tab, and there is no
   * People tab.
   */
  peopleUnderMap?: boolean;
}

/** Pick the arrangement that shows the map largest, among those that fit. */
export function chooseLayout(input: ILayoutInput): ILayout {
  const { width, height } = input;
  const aspect = input.mapWidth > 0 && input.mapHeight > 0 ? input.mapHeight / input.mapWidth : 0.6;
  let best: ILayout | null = null;
  let bestScale = -1;
  // Beside the map, the teaching tools have a column of their own or no place:
  // under the chat they would squeeze it (or be squeezed).
  const teachingColumn = input.teaching;
  const besideMap = SIDE_WIDTH + (teachingColumn ? TEACHING_WIDTH : 0);
  if (width >= besideMap + MAP_MIN_WIDTH && height >= COLUMN_MIN_HEIGHT) {
    const mapWidth = width - besideMap;
    const mapMaxHeight = Math.max(0, height - STAGE_CHROME);
    const spare = mapMaxHeight - mapWidth * aspect - (input.belowMap ?? 0);
    best = { mode: 'columns', teachingColumn, mapMaxHeight, peopleUnderMap: spare >= PEOPLE_UNDER_MIN };
    bestScale = Math.min(mapWidth, mapMaxHeight / aspect);
  }
  const below = STACK_BELOW_MIN + (input.belowMap ?? 0);
  const stackedMap = Math.min(height * STACK_MAP_SHARE, height - below - STAGE_CHROME);
  if (stackedMap >= Math.min(STACK_MAP_MIN, STACK_MAP_MIN_SHARE * width * aspect)) {
    const scale = Math.min(width, stackedMap / aspect);
    if (scale > bestScale) {
      best = { mode: 'stacked', teachingColumn: false, mapMaxHeight: stackedMap };
    }
  }
  if (best) {
    return best;
  }
  // What the map and its tiles leave in their tab, measured: the stage's
  // parts are there whatever the list does, so the choice cannot flap.
  const mapTab = input.mapTab ?? 0;
  const peopleUnderMap = mapTab > 0 && height - TAB_STRIP - mapTab >= PEOPLE_UNDER_TAB_MIN;
  const mapMaxHeight = Math.max(0, height - STAGE_CHROME - TAB_STRIP);
  return { mode: 'tabs', teachingColumn: false, mapMaxHeight, peopleUnderMap };
}

/** The tabs in `tabs` mode, in order. */
export type SectionId = 'map' | 'people' | 'chat' | 'teaching';

/**
 * The tab that shows a section in `tabs`: its own, or for the list of people
 * under the map, the Map tab (no People tab then: nothing is shown twice).
 */
export function tabOf(id: SectionId, layout: ILayout): SectionId {
  return layout.mode === 'tabs' && layout.peopleUnderMap && id === 'people' ? 'map' : id;
}

/** The tab after (+1) or before (-1) `current` among `shown`, wrapping around (arrow keys). */
export function nextTab(shown: readonly SectionId[], current: SectionId, step: 1 | -1): SectionId {
  const i = shown.indexOf(current);
  if (i < 0) {
    return shown[0];
  }
  return shown[(i + step + shown.length) % shown.length];
}
