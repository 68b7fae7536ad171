import { clock } from '../../model/teaching';
import type { BreakoutMode, IBreakoutGroup, IClassState } from '../../protocol';
import { el } from '../dom';
import { button, IControlsOptions, numberField, row, select, Trans } from './controls';

/** Groups as typed: one line per table, usernames separated by commas or spaces. */
export function parseGroups(text: string): IBreakoutGroup[] {
  return text
    .split('\n')
    .map(line => line.split(/[,\s]+/).filter(Boolean))
    .filter(users => users.length)
    .map(users => ({ users }));
}

/** The breakout planner: how students get to tables, how many, for how long; start and end. */
export class BreakoutPlanner {
  constructor(options: IControlsOptions) {
    const { trans, send } = options;
    this._mode = select(trans.__('How students get to tables'), [
      ['random', trans.__('Random tables')],
      ['groups', trans.__('These groups')],
      ['choose', trans.__('Students choose')]
    ]);
    this._tables = numberField(trans.__('Tables'), 1, 1);
    this._tables.input.placeholder = trans.__('all');
    this._minutes = numberField(trans.__('Minutes'), 0.1, 0.1);
    this._minutes.input.value = '10';
    this._groups = el('textarea', 'jp-mod-styled jp-Classroom-groupsText') as HTMLTextAreaElement;
    this._groups.rows = 3;
    this._groups.setAttribute('aria-label', trans.__('Groups: one line per table, usernames separated by commas'));
    this._groups.placeholder = trans.__('ann, ben\ncat, dan');
    this._mode.addEventListener('change', () => this._showMode());
    const start = button(trans.__('Start breakouts'), () => {
      const mode = this._mode.value as BreakoutMode;
      const tables = parseInt(this._tables.input.value, 10);
      const minutes = parseFloat(this._minutes.input.value);
      send({
        type: 'start_breakouts',
        mode,
        ...(mode === 'random' && tables > 0 ? { tables } : {}),
        ...(mode === 'groups' ? { groups: parseGroups(this._groups.value) } : {}),
        ...(minutes > 0 ? { minutes } : {})
      });
    });
    this._end = button(trans.__('End breakouts'), () => send({ type: 'end_breakouts' }));
    this.node = el('div', 'jp-Classroom-breakoutPlanner');
    this.node.append(row(this._mode, this._tables.label, this._minutes.label), this._groups, row(start, this._end));
    this._showMode();
    this.update(null);
  }

  readonly node: HTMLElement;

  update(state: IClassState | null): void {
    this._end.disabled = !state?.breakout;
  }

  private _showMode(): void {
    this._tables.label.hidden = this._mode.value !== 'random';
    this._groups.hidden = this._mode.value !== 'groups';
  }

  private _mode: HTMLSelectElement;
  private _tables: { label: HTMLLabelElement; input: HTMLInputElement };
  private _minutes: { label: HTMLLabelElement; input: HTMLInputElement };
  private _groups: HTMLTextAreaElement;
  private _end: HTMLButtonElement;
}

/** What to tell everyone when the breakouts change from `before` to `after`, if anything. */
export function breakoutNews(
  trans: Trans,
  before: IClassState | null,
  after: IClassState | null,
  secondsLeft: number | null
): string | null {
  const now = after?.breakout ?? null;
  const was = before?.breakout ?? null;
  if (now && !was) {
    return secondsLeft === null
      ? trans.__('Breakouts started.')
      : trans.__('Breakouts started: %1 left.', clock(secondsLeft));
  }
  if (!now && was) {
    return trans.__('Breakouts ended.');
  }
  if (now?.warned && was && !was.warned) {
    return trans.__('One minute left in the breakouts.');
  }
  return null;
}

/** The breakout countdown, for everyone; it warns in the last minute. */
export class Countdown {
  constructor(private readonly _trans: Trans) {
    this.node = el('div', 'jp-Classroom-breakoutTimer');
    this.node.setAttribute('role', 'timer');
    this.node.setAttribute('aria-live', 'off');
    this.node.hidden = true;
  }

  readonly node: HTMLElement;

  /** Show the breakouts of `state`; `secondsLeft` reads the time left now (null: no timer). */
  update(state: IClassState | null, secondsLeft: () => number | null): void {
    this._breakout = !!state?.breakout;
    this._secondsLeft = secondsLeft;
    window.clearInterval(this._tick);
    this._show();
    if (this._breakout && secondsLeft() !== null) {
      this._tick = window.setInterval(() => this._show(), 1000);
    }
  }

  dispose(): void {
    window.clearInterval(this._tick);
  }

  private _show(): void {
    const trans = this._trans;
    const left = this._secondsLeft();
    this.node.hidden = !this._breakout;
    this.node.classList.toggle('jp-mod-warning', this._breakout && left !== null && left <= 60);
    if (!this._breakout) {
      this.node.textContent = '';
    } else if (left === null) {
      this.node.textContent = trans.__('Breakouts: no time limit.');
    } else {
      this.node.textContent = trans.__('Breakouts: %1 left.', clock(left));
    }
  }

  private _breakout = false;
  private _secondsLeft: () => number | null = () => null;
  private _tick = 0;
}
