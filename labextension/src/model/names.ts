/**
 * How a participant is named where people see them (the participant list,
 * the map's labels): a demo classmate, one the server simulates so that an
 * empty classroom shows how it works, says so. Pure: tested with node.
 */

import type { TranslationBundle } from '@jupyterlab/translation';

import type { IParticipantInfo } from '../protocol';

export function shownName(p: Pick<IParticipantInfo, 'name' | 'demo'>, trans: Pick<TranslationBundle, '__'>): string {
  return p.demo ? trans.__('%1 (demo)', p.name) : p.name;
}
