import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { shownName } from '../model/names';

/** The translator JupyterLab uses when there is no translation: "%1" is the first argument. */
const trans = {
  __: (text: string, ...args: unknown[]) => args.reduce<string>((t, a, i) => t.replace(`%${i + 1}`, String(a)), text)
};

test('a demo classmate is named as one, a person by their name', () => {
  assert.equal(shownName({ name: 'Ada Byron', demo: true }, trans), 'Ada Byron (demo)');
  assert.equal(shownName({ name: 'Ann', demo: false }, trans), 'Ann');
  assert.equal(shownName({ name: 'Ann' }, trans), 'Ann');
});
