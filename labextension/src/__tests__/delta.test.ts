import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { applyDelta } from '../model/delta';

test('changes fold into the set the welcome gave', () => {
  const near = new Set(['a', 'b']);
  applyDelta(near, ['c'], ['a']);
  assert.deepEqual([...near].sort(), ['b', 'c']);
  applyDelta(near, [], []);
  assert.deepEqual([...near].sort(), ['b', 'c']);
  applyDelta(near, ['a'], ['b', 'c']);
  assert.deepEqual([...near], ['a']);
});

test('removing someone not there changes nothing', () => {
  const capped = new Set<string>();
  applyDelta(capped, [], ['x']);
  assert.equal(capped.size, 0);
});
