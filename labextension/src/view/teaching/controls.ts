import type { TranslationBundle } from '@jupyterlab/translation';

import type { ClientMessage } from '../../protocol';
import { el } from '../dom';

/**
 * Where the instructor's controls send their commands: the classroom panel
 * sends them on its connection, the notebook widget over its comm to the
 * notebook's connection. Either way the server enforces every power.
 */
export type Send = (message: ClientMessage) => void;

/** The strings the controls show, in the reader's language. */
export type Trans = Pick<TranslationBundle, '__' | '_n'>;

/** What every control is built with. */
export interface IControlsOptions {
  send: Send;
  trans: Trans;
}

export function button(label: string, onClick: () => void, ariaLabel?: string): HTMLButtonElement {
  const b = el('button', 'jp-Button jp-mod-styled jp-Classroom-teachButton', label) as HTMLButtonElement;
  b.type = 'button';
  if (ariaLabel) {
    b.setAttribute('aria-label', ariaLabel);
  }
  b.addEventListener('click', onClick);
  return b;
}

/** A toggle button: its pressed state is the state it changes. */
export function pressed(b: HTMLButtonElement, on: boolean): void {
  b.setAttribute('aria-pressed', String(on));
}

export function row(...children: HTMLElement[]): HTMLElement {
  const r = el('div', 'jp-Classroom-teachRow');
  r.append(...children);
  return r;
}

export function numberField(
  label: string,
  min: number,
  step: number
): { label: HTMLLabelElement; input: HTMLInputElement } {
  const l = el('label', 'jp-Classroom-teachField', label) as HTMLLabelElement;
  const input = el('input', 'jp-mod-styled') as HTMLInputElement;
  input.type = 'number';
  input.min = String(min);
  input.step = String(step);
  l.append(input);
  return { label: l, input };
}

export function select(ariaLabel: string, options: [string, string][] = []): HTMLSelectElement {
  const s = el('select', 'jp-mod-styled') as HTMLSelectElement;
  s.setAttribute('aria-label', ariaLabel);
  for (const [value, label] of options) {
    const o = el('option', undefined, label) as HTMLOptionElement;
    o.value = value;
    s.append(o);
  }
  return s;
}
