import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { clock } from '../model/teaching';

test('the breakout countdown reads minutes and seconds, rounded up', () => {
  assert.equal(clock(600), '10:00');
  assert.equal(clock(65), '1:05');
  assert.equal(clock(59.2), '1:00');
  assert.equal(clock(0.4), '0:01');
  assert.equal(clock(0), '0:00');
  assert.equal(clock(-3), '0:00');
});
