import type { IClassState } from '../../protocol';
import { button, IControlsOptions, pressed } from './controls';

/** Whom (or which room) the buttons act on: a fixed one (named in the labels) or whichever is picked. */
export type Target = { id: string; name: string } | (() => string | null);

/**
 * One person's powers: mute, bring to the stage or to the instructor, give
 * (or take back) the floor of the broadcast.
 */
export class PersonActions {
  constructor(
    options: IControlsOptions,
    private readonly _target: Target
  ) {
    const { trans, send } = (this._options = options);
    const named = typeof _target === 'function' ? null : _target.name;
    const act = (make: (id: string) => Parameters<typeof send>[0]) => () => {
      const id = this._id();
      if (id) {
        send(make(id));
      }
    };
    this.mute = button(
      trans.__('Mute'),
      act(id => ({ type: 'mute', participant: id })),
      named === null ? undefined : trans.__('Mute %1', named)
    );
    this.mute.dataset.action = 'mute';
    this.toStage = button(
      trans.__('Bring to the stage'),
      act(id => ({ type: 'summon', to: 'stage', participants: [id] })),
      named === null ? undefined : trans.__('Bring %1 to the stage', named)
    );
    this.toStage.dataset.action = 'stage';
    this.toMe = button(
      trans.__('Bring to me'),
      act(id => ({ type: 'summon', to: 'me', participants: [id] })),
      named === null ? undefined : trans.__('Bring %1 to me', named)
    );
    this.toMe.dataset.action = 'me';
    this.floor = button(
      trans.__('Give the floor'),
      act(id => ({ type: 'give_floor', participant: id, on: !this._hasFloor(id) }))
    );
    this.floor.dataset.action = 'floor';
    this.buttons = [this.mute, this.toStage, this.toMe, this.floor];
    this.update(null);
  }

  readonly mute: HTMLButtonElement;
  readonly toStage: HTMLButtonElement;
  readonly toMe: HTMLButtonElement;
  readonly floor: HTMLButtonElement;
  readonly buttons: HTMLButtonElement[];

  /** Show the floor as the class state has it (the floor needs a broadcast). */
  update(state: IClassState | null): void {
    const { trans } = this._options;
    this._state = state;
    const id = this._id();
    const has = id !== null && this._hasFloor(id);
    this.floor.disabled = !state?.broadcast || !id;
    this.floor.textContent = has ? trans.__('Take the floor back') : trans.__('Give the floor');
    pressed(this.floor, has);
    if (typeof this._target !== 'function') {
      const name = this._target.name;
      this.floor.setAttribute(
        'aria-label',
        has ? trans.__('Take the floor back from %1', name) : trans.__('Give the floor to %1', name)
      );
    }
  }

  private _id(): string | null {
    return typeof this._target === 'function' ? this._target() : this._target.id;
  }

  private _hasFloor(id: string): boolean {
    return !!this._state?.broadcast?.floor.includes(id);
  }

  private _options: IControlsOptions;
  private _state: IClassState | null = null;
}
