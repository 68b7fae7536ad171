import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { distinctWord, labelForms, listName, shownName } from '../model/names';

/** The translator JupyterLab uses when there is no translation: "%1" is the first argument. */
const trans = {
  __: (text: string, ...args: unknown[]) => args.reduce<string>((t, a, i) => t.replace(`%${i + 1}`, String(a)), text)
};

test('a demo classmate is named as one, a person by their name', () => {
  assert.equal(shownName({ name: 'Ada Byron', demo: true }, trans), 'Ada Byron (demo)');
  assert.equal(shownName({ name: 'Ann', demo: false }, trans), 'Ann');
  assert.equal(shownName({ name: 'Ann' }, trans), 'Ann');
});

test('a placeholder name is written by its distinct word on the map', () => {
  assert.equal(distinctWord('Anonymous Kore'), 'Kore');
  assert.equal(distinctWord('Ada Lovelace'), 'Ada Lovelace');
  assert.deepEqual(labelForms({ name: 'Anonymous Kore' }, trans), ['Kore']);
  assert.deepEqual(labelForms({ name: 'Ada Lovelace', demo: true }, trans), ['Ada Lovelace (demo)', 'Ada']);
});

test('the participant list shows a placeholder name by its distinct word and keeps the whole one', () => {
  assert.deepEqual(listName({ name: 'Anonymous Kore' }, false, trans), { text: 'Kore', full: 'Anonymous Kore' });
  assert.deepEqual(listName({ name: 'Anonymous Kore' }, true, trans), {
    text: 'Kore (you)',
    full: 'Anonymous Kore (you)'
  });
  assert.deepEqual(listName({ name: 'Ada Byron', demo: true }, false, trans), {
    text: 'Ada Byron (demo)',
    full: 'Ada Byron (demo)'
  });
  assert.deepEqual(listName({ name: 'Ann' }, true, trans), { text: 'Ann (you)', full: 'Ann (you)' });
});
