import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { fit } from '../rtc/wsmedia/encoder';

test('video layers keep the aspect within their box, in even sizes, never enlarged', () => {
  assert.deepEqual(fit(640, 480, 320, 180), { width: 240, height: 180 });
  assert.deepEqual(fit(1280, 720, 640, 360), { width: 640, height: 360 });
  assert.deepEqual(fit(1920, 1080, 1280, 720), { width: 1280, height: 720 });
  assert.deepEqual(fit(1366, 768, 1280, 720), { width: 1280, height: 718 });
  assert.deepEqual(fit(300, 170, 640, 360), { width: 300, height: 170 });
  assert.deepEqual(fit(301, 171, 640, 360), { width: 300, height: 170 });
  assert.deepEqual(fit(720, 1280, 640, 360), { width: 202, height: 360 });
});
