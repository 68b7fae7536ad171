import { strict as assert } from 'node:assert';
import { beforeEach, test } from 'node:test';

import { JSDOM } from 'jsdom';

import type { ClientMessage, IClassState } from '../protocol';
import {
  Announcer,
  BreakoutPlanner,
  breakoutNews,
  ClassActions,
  Countdown,
  HandsList,
  IControlsOptions,
  LockToggles,
  parseGroups,
  PersonActions,
  RoomLock,
  RoomPicker,
  Trans
} from '../view/teaching';

// The controls build real DOM: a document of their own for each test.
beforeEach(() => {
  const { window } = new JSDOM('<!doctype html><html><body></body></html>');
  Object.assign(globalThis, { window, document: window.document });
});

/** The translator JupyterLab uses when there is no translation: "%1" is the first argument. */
const trans: Trans = {
  __: (text: string, ...args: unknown[]) => args.reduce<string>((t, a, i) => t.replace(`%${i + 1}`, String(a)), text),
  _n: (one: string, many: string, n: number, ...args: unknown[]) =>
    [n, ...args].reduce<string>((t, a, i) => t.replace(`%${i + 1}`, String(a)), n === 1 ? one : many)
};

function setUp(): { options: IControlsOptions; sent: ClientMessage[] } {
  const sent: ClientMessage[] = [];
  return { options: { trans, send: m => sent.push(m) }, sent };
}

/** A button by its accessible name: its aria-label, or else its text. */
function byName(root: HTMLElement, name: string): HTMLButtonElement {
  const found = Array.from(root.querySelectorAll('button')).filter(
    b => (b.getAttribute('aria-label') ?? b.textContent) === name
  );
  assert.equal(found.length, 1, `one button called ${JSON.stringify(name)}`);
  return found[0];
}

function names(root: HTMLElement): string[] {
  return Array.from(root.querySelectorAll('button')).map(b => b.getAttribute('aria-label') ?? b.textContent ?? '');
}

function state(over: Partial<IClassState> = {}): IClassState {
  return { locks: {}, hands: [], locked_rooms: [], ...over };
}

const people: Record<string, string> = { a: 'Ann', b: 'Ben' };

test('the hands list lowers one hand, mutes one person and lowers them all', () => {
  const { options, sent } = setUp();
  const hands = new HandsList(options);
  hands.update(['a', 'b'], true, id => people[id]);
  assert.deepEqual(names(hands.node), [
    'Mute Ann',
    "Lower Ann's hand",
    'Mute Ben',
    "Lower Ben's hand",
    'Lower all hands'
  ]);
  byName(hands.node, "Lower Ann's hand").click();
  byName(hands.node, 'Mute Ben').click();
  byName(hands.node, 'Lower all hands').click();
  assert.deepEqual(sent, [
    { type: 'lower_hand', participant: 'a' },
    { type: 'mute', participant: 'b' },
    { type: 'lower_hand' }
  ]);
});

test('students see the hands in order, with no buttons', () => {
  const { options } = setUp();
  const hands = new HandsList(options);
  hands.update(
    ['b', 'a'],
    false,
    id => people[id],
    id => `${people[id]} (Table 1)`
  );
  const lines = Array.from(hands.node.querySelectorAll('li')).map(li => li.textContent);
  assert.deepEqual(lines, ['Ben (Table 1)', 'Ann (Table 1)']);
  const visible = Array.from(hands.node.querySelectorAll('button')).filter(b => !b.hidden);
  assert.equal(visible.length, 0);
});

test('with no hands raised the list says so and "Lower all hands" is disabled', () => {
  const { options } = setUp();
  const hands = new HandsList(options);
  hands.update([], true, id => people[id]);
  assert.ok(hands.node.textContent?.includes('No hands raised.'));
  assert.equal(byName(hands.node, 'Lower all hands').disabled, true);
});

test('a lock button locks what is unlocked and unlocks what is locked', () => {
  const { options, sent } = setUp();
  const locks = new LockToggles(options);
  assert.deepEqual(names(locks.node), ['Microphones', 'Cameras', 'Screen sharing', 'Chat']);
  byName(locks.node, 'Chat').click();
  locks.update(state({ locks: { chat: true } }));
  assert.equal(byName(locks.node, 'Chat').getAttribute('aria-pressed'), 'true');
  assert.equal(byName(locks.node, 'Microphones').getAttribute('aria-pressed'), 'false');
  byName(locks.node, 'Chat').click();
  byName(locks.node, 'Microphones').click();
  assert.deepEqual(sent, [
    { type: 'set_locks', chat: true },
    { type: 'set_locks', chat: false },
    { type: 'set_locks', mic: true }
  ]);
});

test('the class buttons start and stop the broadcast, mute all and summon everyone', () => {
  const { options, sent } = setUp();
  const actions = new ClassActions(options);
  byName(actions.node, 'Start broadcast').click();
  actions.update(state({ broadcast: { by: 'me', floor: [] } }));
  byName(actions.node, 'Stop broadcast').click();
  byName(actions.node, 'Mute all').click();
  byName(actions.node, 'Everyone to the stage').click();
  byName(actions.node, 'Everyone to me').click();
  assert.deepEqual(sent, [
    { type: 'broadcast', on: true },
    { type: 'broadcast', on: false },
    { type: 'mute' },
    { type: 'summon', to: 'stage' },
    { type: 'summon', to: 'me' }
  ]);
});

test("a named person's buttons say whom they act on and send their id", () => {
  const { options, sent } = setUp();
  const actions = new PersonActions(options, { id: 'a', name: 'Ann' });
  const box = document.createElement('div');
  box.append(...actions.buttons);
  assert.deepEqual(names(box), ['Mute Ann', 'Bring Ann to the stage', 'Bring Ann to me', 'Give the floor to Ann']);
  // The floor is the broadcast's: without one there is none to give.
  assert.equal(byName(box, 'Give the floor to Ann').disabled, true);
  byName(box, 'Mute Ann').click();
  byName(box, 'Bring Ann to the stage').click();
  byName(box, 'Bring Ann to me').click();
  actions.update(state({ broadcast: { by: 'me', floor: [] } }));
  byName(box, 'Give the floor to Ann').click();
  actions.update(state({ broadcast: { by: 'me', floor: ['a'] } }));
  assert.equal(byName(box, 'Take the floor back from Ann').textContent, 'Take the floor back');
  byName(box, 'Take the floor back from Ann').click();
  assert.deepEqual(sent, [
    { type: 'mute', participant: 'a' },
    { type: 'summon', to: 'stage', participants: ['a'] },
    { type: 'summon', to: 'me', participants: ['a'] },
    { type: 'give_floor', participant: 'a', on: true },
    { type: 'give_floor', participant: 'a', on: false }
  ]);
});

test('picked-person buttons act on whoever is picked, and on nobody when nobody is', () => {
  const { options, sent } = setUp();
  let picked: string | null = null;
  const actions = new PersonActions(options, () => picked);
  const box = document.createElement('div');
  box.append(...actions.buttons);
  assert.deepEqual(names(box), ['Mute', 'Bring to the stage', 'Bring to me', 'Give the floor']);
  byName(box, 'Mute').click();
  picked = 'b';
  byName(box, 'Mute').click();
  assert.deepEqual(sent, [{ type: 'mute', participant: 'b' }]);
});

test("a room's lock button locks and unlocks it by name", () => {
  const { options, sent } = setUp();
  const lock = new RoomLock(options, { id: 'table-1', name: 'Table 1' });
  const box = document.createElement('div');
  box.append(lock.node);
  byName(box, 'Lock Table 1').click();
  lock.update(state({ locked_rooms: ['table-1'] }));
  assert.equal(lock.node.getAttribute('aria-pressed'), 'true');
  byName(box, 'Unlock Table 1').click();
  assert.deepEqual(sent, [
    { type: 'lock_room', room: 'table-1', locked: true },
    { type: 'lock_room', room: 'table-1', locked: false }
  ]);
});

test('the room picker locks the picked room and marks locked rooms', () => {
  const { options, sent } = setUp();
  const picker = new RoomPicker(options);
  picker.setRooms([
    { id: 'table-1', name: 'Table 1' },
    { id: 'table-2', name: 'Table 2' }
  ]);
  const choose = picker.node.querySelector('select')!;
  assert.equal(choose.getAttribute('aria-label'), 'Room');
  choose.value = 'table-2';
  choose.dispatchEvent(new window.Event('change'));
  byName(picker.node, 'Lock room').click();
  picker.update(state({ locked_rooms: ['table-2'] }));
  assert.deepEqual(
    Array.from(choose.options).map(o => o.textContent),
    ['Table 1', 'Table 2 (locked)']
  );
  byName(picker.node, 'Unlock room').click();
  assert.deepEqual(sent, [
    { type: 'lock_room', room: 'table-2', locked: true },
    { type: 'lock_room', room: 'table-2', locked: false }
  ]);
});

test('the breakout planner sends random tables, groups, or students choosing', () => {
  const { options, sent } = setUp();
  const planner = new BreakoutPlanner(options);
  const mode = planner.node.querySelector<HTMLSelectElement>('select[aria-label="How students get to tables"]')!;
  const [tables, minutes] = Array.from(planner.node.querySelectorAll<HTMLInputElement>('input[type=number]'));
  const groups = planner.node.querySelector('textarea')!;
  const change = (value: string) => {
    mode.value = value;
    mode.dispatchEvent(new window.Event('change'));
  };
  // "End breakouts" waits for breakouts to end.
  assert.equal(byName(planner.node, 'End breakouts').disabled, true);
  assert.equal(groups.hidden, true);
  tables.value = '2';
  minutes.value = '0.15';
  byName(planner.node, 'Start breakouts').click();
  change('groups');
  assert.equal(groups.hidden, false);
  groups.value = 'ann, ben\n\ncat dan';
  byName(planner.node, 'Start breakouts').click();
  change('choose');
  minutes.value = '';
  byName(planner.node, 'Start breakouts').click();
  planner.update(state({ breakout: { mode: 'choose', tables: [] } }));
  byName(planner.node, 'End breakouts').click();
  assert.deepEqual(sent, [
    { type: 'start_breakouts', mode: 'random', tables: 2, minutes: 0.15 },
    {
      type: 'start_breakouts',
      mode: 'groups',
      groups: [{ users: ['ann', 'ben'] }, { users: ['cat', 'dan'] }],
      minutes: 0.15
    },
    { type: 'start_breakouts', mode: 'choose' },
    { type: 'end_breakouts' }
  ]);
});

test('groups are read one line per table, names split by commas or spaces', () => {
  assert.deepEqual(parseGroups(' ann,ben \n\n  cat  dan,\n'), [{ users: ['ann', 'ben'] }, { users: ['cat', 'dan'] }]);
  assert.deepEqual(parseGroups(''), []);
});

test('the announcer posts the text, trimmed, and clears the announcement', () => {
  const { options, sent } = setUp();
  const announcer = new Announcer(options);
  const text = announcer.node.querySelector('textarea')!;
  assert.equal(byName(announcer.node, 'Clear announcement').disabled, true);
  byName(announcer.node, 'Announce').click();
  text.value = '  Back at 3  ';
  byName(announcer.node, 'Announce').click();
  assert.equal(text.value, '');
  text.value = 'Quiz now';
  text.dispatchEvent(new window.KeyboardEvent('keydown', { key: 'Enter' }));
  announcer.update(state({ announcement: { text: 'Quiz now', sender: 'x', sender_name: 'X', ts: 0 } }));
  byName(announcer.node, 'Clear announcement').click();
  assert.deepEqual(sent, [
    { type: 'announce', text: 'Back at 3' },
    { type: 'announce', text: 'Quiz now' },
    { type: 'announce' }
  ]);
});

test('the countdown shows the time left, warns in the last minute and hides after the breakouts', () => {
  const countdown = new Countdown(trans);
  const running = state({ breakout: { mode: 'random', tables: ['table-1'] } });
  countdown.update(running, () => 125);
  assert.equal(countdown.node.textContent, 'Breakouts: 2:05 left.');
  assert.equal(countdown.node.classList.contains('jp-mod-warning'), false);
  countdown.update(running, () => 42);
  assert.equal(countdown.node.classList.contains('jp-mod-warning'), true);
  countdown.update(running, () => null);
  assert.equal(countdown.node.textContent, 'Breakouts: no time limit.');
  countdown.update(state(), () => null);
  assert.equal(countdown.node.hidden, true);
  countdown.dispose();
});

test('breakout news: started, the last minute, ended', () => {
  const none = state();
  const started = state({ breakout: { mode: 'random', tables: [] } });
  const warned = state({ breakout: { mode: 'random', tables: [], warned: true } });
  assert.equal(breakoutNews(trans, none, started, 600), 'Breakouts started: 10:00 left.');
  assert.equal(breakoutNews(trans, null, started, null), 'Breakouts started.');
  assert.equal(breakoutNews(trans, started, warned, 60), 'One minute left in the breakouts.');
  assert.equal(breakoutNews(trans, warned, warned, 30), null);
  assert.equal(breakoutNews(trans, warned, none, null), 'Breakouts ended.');
});
