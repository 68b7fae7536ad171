import type { IClassState, ILocks, ISetLocks } from '../../protocol';
import { button, IControlsOptions, pressed, row } from './controls';

export type LockKind = keyof ILocks;

/** The whole class at once: the broadcast, mute all, everyone to the stage or to me. */
export class ClassActions {
  constructor(private readonly _options: IControlsOptions) {
    const { trans, send } = _options;
    this._broadcast = button(trans.__('Start broadcast'), () =>
      send({ type: 'broadcast', on: !this._state?.broadcast })
    );
    this.node = row(
      this._broadcast,
      button(trans.__('Mute all'), () => send({ type: 'mute' })),
      button(trans.__('Everyone to the stage'), () => send({ type: 'summon', to: 'stage' })),
      button(trans.__('Everyone to me'), () => send({ type: 'summon', to: 'me' }))
    );
    this.update(null);
  }

  readonly node: HTMLElement;

  update(state: IClassState | null): void {
    const { trans } = this._options;
    this._state = state;
    const live = !!state?.broadcast;
    pressed(this._broadcast, live);
    this._broadcast.textContent = live ? trans.__('Stop broadcast') : trans.__('Start broadcast');
  }

  private _broadcast: HTMLButtonElement;
  private _state: IClassState | null = null;
}

/** Microphones, cameras, screen sharing and chat, each locked for students or not. */
export class LockToggles {
  constructor(options: IControlsOptions) {
    const { trans, send } = options;
    const labels: [LockKind, string][] = [
      ['mic', trans.__('Microphones')],
      ['camera', trans.__('Cameras')],
      ['screen', trans.__('Screen sharing')],
      ['chat', trans.__('Chat')]
    ];
    for (const [kind, label] of labels) {
      const b = button(label, () => {
        const locked = !!this._locks[kind];
        send({ type: 'set_locks', [kind]: !locked } as ISetLocks);
      });
      b.dataset.lock = kind;
      this._buttons.set(kind, b);
    }
    this.node = row(...this._buttons.values());
    this.update(null);
  }

  readonly node: HTMLElement;

  update(state: IClassState | null): void {
    this._locks = state?.locks ?? {};
    for (const [kind, b] of this._buttons) {
      pressed(b, !!this._locks[kind]);
    }
  }

  private _buttons = new Map<LockKind, HTMLButtonElement>();
  private _locks: ILocks = {};
}
