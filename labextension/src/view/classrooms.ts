import { IDisposable } from '@lumino/disposable';

import { IEndpoint } from '../model/endpoint';
import { IClassroom } from '../tokens';

/**
 * On a hub: which classroom this is, and, for someone in several (an
 * instructor teaching two classes), a choice of classroom. Choosing one
 * reloads the page into it, so nothing of the previous classroom (its
 * people, its chat) lingers.
 */
export class ClassroomChooser implements IDisposable {
  readonly node: HTMLElement;

  constructor(
    private readonly _model: IClassroom,
    private readonly _endpoint: IEndpoint,
    private readonly _reload: () => void = () => window.location.reload()
  ) {
    const trans = _model.trans;
    this.node = document.createElement('span');
    this.node.className = 'jp-Classroom-chooser';
    this.node.hidden = true;
    // A label beside the list, not around it: the list's name is then just "Classroom".
    this._choice = document.createElement('span');
    const label = document.createElement('label');
    label.textContent = trans.__('Classroom');
    label.htmlFor = 'jp-classroom-chooser';
    this._select = document.createElement('select');
    this._select.id = 'jp-classroom-chooser';
    this._select.className = 'jp-mod-styled';
    this._choice.append(label, ' ', this._select);
    this._title = document.createElement('span');
    this._title.className = 'jp-Classroom-title';
    this.node.append(this._choice, this._title);
    this._select.addEventListener('change', this._onChange);
    _model.joined.connect(this._render, this);
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._select.removeEventListener('change', this._onChange);
    this._model.joined.disconnect(this._render, this);
  }

  private _render(): void {
    const classrooms = this._endpoint.classrooms;
    const current = this._endpoint.current;
    this.node.hidden = current === null;
    if (current === null) {
      return;
    }
    const several = classrooms.length > 1;
    this._choice.hidden = !several;
    this._title.hidden = several;
    this._title.textContent = current.title;
    this._title.title = this._model.trans.__('The classroom of your class on this hub');
    this._select.replaceChildren(
      ...classrooms.map(c => {
        const option = document.createElement('option');
        option.value = c.name;
        option.textContent = c.online ? this._model.trans.__('%1 (%2 in)', c.title, c.online) : c.title;
        option.selected = c.name === current.name;
        return option;
      })
    );
  }

  private _onChange = (): void => {
    const name = this._select.value;
    if (name && name !== this._endpoint.current?.name) {
      this._endpoint.choose(name);
      this._reload();
    }
  };

  private _choice: HTMLElement;
  private _select: HTMLSelectElement;
  private _title: HTMLElement;
  private _disposed = false;
}
