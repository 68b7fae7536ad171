import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { lockedMedia, mediaLockNote } from '../model/medialocks';

/** The translator JupyterLab uses when there is no translation: "%1" is the first argument. */
const trans = {
  __: (text: string, ...args: unknown[]) => args.reduce<string>((t, a, i) => t.replace(`%${i + 1}`, String(a)), text)
};

test('a student is locked out of what the instructors locked, and only that', () => {
  assert.deepEqual([...lockedMedia({ mic: true, camera: false, chat: true }, 'student')], ['mic']);
  assert.deepEqual([...lockedMedia({ screen: true, mic: true }, 'student')], ['mic', 'screen']);
  assert.equal(lockedMedia({}, 'student').size, 0);
  assert.equal(lockedMedia(undefined, 'student').size, 0);
});

test('instructors, and someone whose role is not known yet, are never locked out', () => {
  assert.equal(lockedMedia({ mic: true, camera: true, screen: true }, 'instructor').size, 0);
  assert.equal(lockedMedia({ mic: true }, undefined).size, 0);
});

test('the note names what is locked in one sentence', () => {
  assert.equal(mediaLockNote(new Set(), trans), '');
  assert.equal(mediaLockNote(new Set(['mic'] as const), trans), 'An instructor locked the microphones.');
  assert.equal(
    mediaLockNote(new Set(['screen', 'mic'] as const), trans),
    'An instructor locked the microphones and screen sharing.'
  );
  assert.equal(
    mediaLockNote(new Set(['mic', 'camera', 'screen'] as const), trans),
    'An instructor locked the microphones, the cameras and screen sharing.'
  );
});
