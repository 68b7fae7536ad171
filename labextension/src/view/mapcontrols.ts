import { Widget } from '@lumino/widgets';

import { ClassroomMap, IMapViewState } from './map';
import { ZOOM_LEVELS } from './viewport';

/**
 * The map's view buttons: zoom in, zoom out, the whole map, follow me. Each
 * is labelled and names its key on the map (+, -, 0, F).
 */
export class MapControls extends Widget {
  constructor(readonly map: ClassroomMap) {
    super();
    const trans = map.model.trans;
    this.addClass('jp-Classroom-mapControls');
    this.node.setAttribute('role', 'toolbar');
    this.node.setAttribute('aria-label', trans.__('Map view'));
    const button = (action: string, text: string, label: string, onClick: () => void) => {
      const b = document.createElement('button');
      b.className = 'jp-Button jp-mod-styled jp-Classroom-mapButton';
      b.dataset.action = action;
      b.textContent = text;
      b.title = label;
      b.setAttribute('aria-label', label);
      b.addEventListener('click', onClick);
      this.node.appendChild(b);
      return b;
    };
    this._in = button('zoom-in', '+', trans.__('Zoom in (+)'), () => map.zoom(1));
    this._out = button('zoom-out', '−', trans.__('Zoom out (-)'), () => map.zoom(-1));
    this._fit = button('zoom-fit', trans.__('Fit'), trans.__('Show the whole map (0)'), () => map.zoomToFit());
    this._follow = button('follow', trans.__('Follow'), trans.__('Follow me (F)'), () =>
      map.setFollow(!map.viewState.follow)
    );
    map.viewChanged.connect(this._update, this);
    this._update(map, map.viewState);
  }

  private _update(_: unknown, state: IMapViewState): void {
    // aria-disabled, not disabled: a button that is pressed to its limit
    // keeps the keyboard focus.
    const limit = (b: HTMLButtonElement, at: boolean) => b.setAttribute('aria-disabled', String(at));
    limit(this._in, state.zoom >= ZOOM_LEVELS[ZOOM_LEVELS.length - 1]);
    limit(this._out, state.zoom <= ZOOM_LEVELS[0]);
    limit(this._fit, state.zoom <= ZOOM_LEVELS[0]);
    this._follow.setAttribute('aria-pressed', String(state.follow));
  }

  private _in: HTMLButtonElement;
  private _out: HTMLButtonElement;
  private _fit: HTMLButtonElement;
  private _follow: HTMLButtonElement;
}
