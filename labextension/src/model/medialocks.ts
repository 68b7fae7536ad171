/**
 * Which of our own microphone, camera and screen sharing an instructor has
 * locked, and how the media controls say so. Instructors are never locked
 * out. Pure: tested with node.
 */

import type { TranslationBundle } from '@jupyterlab/translation';

import type { ILocks, Role } from '../protocol';

export type MediaLockKind = 'mic' | 'camera' | 'screen';

type Translator = Pick<TranslationBundle, '__'>;

const KINDS: MediaLockKind[] = ['mic', 'camera', 'screen'];

/** The media locked for someone of `role` (none for instructors, or before we know our role). */
export function lockedMedia(locks: ILocks | undefined, role: Role | undefined): Set<MediaLockKind> {
  if (!locks || !role || role === 'instructor') {
    return new Set();
  }
  return new Set(KINDS.filter(kind => locks[kind]));
}

/**
 * What is locked, in one sentence ('' when nothing is): the note beside the
 * controls, and for one kind a disabled button's tooltip.
 */
export function mediaLockNote(locked: Set<MediaLockKind>, trans: Translator): string {
  const names = KINDS.filter(kind => locked.has(kind)).map(kind =>
    kind === 'mic'
      ? trans.__('the microphones')
      : kind === 'camera'
        ? trans.__('the cameras')
        : trans.__('screen sharing')
  );
  if (!names.length) {
    return '';
  }
  if (names.length === 1) {
    return trans.__('An instructor locked %1.', names[0]);
  }
  return trans.__('An instructor locked %1 and %2.', names.slice(0, -1).join(', '), names[names.length - 1]);
}
