import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import {
  chooseLayout,
  COLUMN_MIN_HEIGHT,
  ILayoutInput,
  MAP_MIN_WIDTH,
  nextTab,
  PEOPLE_UNDER_TAB_MIN,
  SIDE_WIDTH,
  STACK_BELOW_MIN,
  STAGE_CHROME,
  TAB_STRIP,
  tabOf,
  TEACHING_WIDTH
} from '../view/layoutmode';

const map = { mapWidth: 1600, mapHeight: 960 };
const at = (width: number, height: number, teaching = false): ILayoutInput => ({ width, height, ...map, teaching });

test('the default sidebar, 900 px high: the map above people and chat', () => {
  const layout = chooseLayout(at(250, 675));
  assert.equal(layout.mode, 'stacked');
  // Room under the map for the list and a chat with its box.
  assert.ok(675 - layout.mapMaxHeight - STAGE_CHROME >= STACK_BELOW_MIN);
});

test('camera tiles under the map count in the height the list and chat need', () => {
  // The README's sidebar: 625 px of body, 410 px wide, a row of tiles 110 px high.
  assert.equal(chooseLayout(at(410, 625)).mode, 'stacked');
  const withTiles = chooseLayout({ ...at(410, 625), belowMap: 110 });
  assert.equal(withTiles.mode, 'tabs');
  // Taller, the map, the tiles, the list and the chat fit together.
  const tall = chooseLayout({ ...at(410, 900), belowMap: 110 });
  assert.equal(tall.mode, 'stacked');
  assert.ok(900 - tall.mapMaxHeight - STAGE_CHROME - 110 >= STACK_BELOW_MIN);
  // The default sidebar (250 px) at 900 px of window with a screen's tile
  // under the map: the map a little below its full height, the chat in view.
  const narrow = chooseLayout({ ...at(250, 675), belowMap: 145 });
  assert.equal(narrow.mode, 'stacked');
  assert.ok(narrow.mapMaxHeight >= 0.8 * 250 * 0.6);
});

test('too short for the map and a usable chat together: tabs', () => {
  assert.equal(chooseLayout(at(250, 375)).mode, 'tabs');
  assert.equal(chooseLayout(at(1200, COLUMN_MIN_HEIGHT - 1)).mode, 'tabs');
});

test('a wide main area: the map beside people and chat, filling the height', () => {
  const layout = chooseLayout(at(1400, 800));
  assert.equal(layout.mode, 'columns');
  assert.equal(layout.teachingColumn, false);
  assert.equal(layout.mapMaxHeight, 800 - STAGE_CHROME);
});

test('a tall narrow column stacks, so the map is not a strip with bands above and below', () => {
  // Beside each other the map would be 240 px wide in 1,000 px of height.
  assert.equal(chooseLayout(at(560, 1000)).mode, 'stacked');
});

test('the teaching tools get a column of their own or the panel does not use columns', () => {
  const wide = chooseLayout(at(1600, 800, true));
  assert.deepEqual([wide.mode, wide.teachingColumn], ['columns', true]);
  // Too narrow for three columns: never the map squeezed beside them.
  for (const height of [400, 800]) {
    const narrow = chooseLayout(at(SIDE_WIDTH + TEACHING_WIDTH + MAP_MIN_WIDTH - 1, height, true));
    assert.notEqual(narrow.mode, 'columns');
    assert.equal(narrow.teachingColumn, false);
  }
});

test('arrow keys walk the tabs shown, wrapping around', () => {
  const shown = ['map', 'people', 'chat'] as const;
  assert.equal(nextTab(shown, 'map', 1), 'people');
  assert.equal(nextTab(shown, 'chat', 1), 'map');
  assert.equal(nextTab(shown, 'map', -1), 'chat');
  // A tab no longer shown (Teaching, after a role change) starts from the first.
  assert.equal(nextTab(shown, 'teaching', 1), 'map');
});

test('columns: a map its width limits leaves room under it, and the list goes there', () => {
  // An instructor's main area, 1200 x 625: the map's column 580 px wide, 350 high at most.
  const wide = chooseLayout({ ...at(1200, 625), teaching: true });
  assert.equal(wide.mode, 'columns');
  assert.ok(wide.peopleUnderMap);
  // Camera tiles under the map take that room.
  assert.ok(!chooseLayout({ ...at(1200, 625), teaching: true, belowMap: 110 }).peopleUnderMap);
  // A short, wide window: the map fills the column's height, nothing under it.
  const short = chooseLayout(at(1600, 500));
  assert.equal(short.mode, 'columns');
  assert.ok(!short.peopleUnderMap);
  // Never outside columns.
  assert.ok(!chooseLayout(at(410, 900)).peopleUnderMap);
});

test('tabs: a Map tab with height under its map and tiles has the list there, and no People tab', () => {
  // The README's sidebar, 418 x 632 with a row of cameras: the stage (its
  // badge, buttons, the map at 400 px and the tiles) measured 430 px high.
  const input = { ...at(418, 632), belowMap: 110, mapTab: 430 };
  const layout = chooseLayout(input);
  assert.equal(layout.mode, 'tabs');
  assert.ok(layout.peopleUnderMap);
  assert.equal(tabOf('people', layout), 'map');
  for (const id of ['map', 'chat', 'teaching'] as const) {
    assert.equal(tabOf(id, layout), id);
  }
  // Just too little under the stage: the People tab again.
  const short = chooseLayout({ ...input, mapTab: 632 - TAB_STRIP - PEOPLE_UNDER_TAB_MIN + 1 });
  assert.equal(short.mode, 'tabs');
  assert.ok(!short.peopleUnderMap);
  assert.equal(tabOf('people', short), 'people');
  // The stage not measured yet: no guess.
  assert.ok(!chooseLayout({ ...input, mapTab: 0 }).peopleUnderMap);
  assert.ok(!chooseLayout({ ...input, mapTab: undefined }).peopleUnderMap);
});

test('the list under the map in columns takes no tab away (there are none)', () => {
  const wide = chooseLayout({ ...at(1200, 625), teaching: true });
  assert.ok(wide.peopleUnderMap);
  assert.equal(tabOf('people', wide), 'people');
});
