/**
 * How a participant is named where people see them (the participant list,
 * the map's labels): a demo classmate, one the server simulates so that an
 * empty classroom shows how it works, says so. A placeholder name such as
 * Jupyter's "Anonymous Kore" is written by its distinct word, "Kore", where
 * it is read at a glance (the server's `identity.distinct_word` makes the
 * initials from the same word); screen readers get the whole name. Pure:
 * tested with node.
 */

import type { TranslationBundle } from '@jupyterlab/translation';

import type { IParticipantInfo } from '../protocol';

type Named = Pick<IParticipantInfo, 'name' | 'demo'>;
type Translator = Pick<TranslationBundle, '__'>;

export function shownName(p: Named, trans: Translator): string {
  return p.demo ? trans.__('%1 (demo)', p.name) : p.name;
}

/** "Kore" for "Anonymous Kore"; any other name whole. */
export function distinctWord(name: string): string {
  const m = /^Anonymous\s+(\S.*)$/.exec(name);
  return m ? m[1] : name;
}

/**
 * Someone's entry in the participant list: `text` to show (by the distinct
 * word, "(you)" for ourselves), and `full`, the whole name, for the entry's
 * accessible label when it differs.
 */
export function listName(p: Named, mine: boolean, trans: Translator): { text: string; full: string } {
  const name = (n: string) => (mine ? trans.__('%1 (you)', n) : shownName({ name: n, demo: p.demo }, trans));
  return { text: name(distinctWord(p.name)), full: name(p.name) };
}

/**
 * The forms of someone's name on the map, longest first: their name (by its
 * distinct word), then its first word.
 */
export function labelForms(p: Named, trans: Translator): string[] {
  const name = distinctWord(p.name);
  const first = name.split(/\s+/)[0];
  const forms = [shownName({ name, demo: p.demo }, trans)];
  if (first && first !== name) {
    forms.push(first);
  }
  return forms;
}
