import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';

import { el } from './dom';
import { chooseLayout, ILayout, ILayoutInput, LayoutMode, nextTab, SectionId, tabOf } from './layoutmode';

/** Headings and tabs get ids of their own: a panel may be built more than once in a page. */
let nextBodyId = 0;

export interface ISection {
  id: SectionId;
  /** The tab's label. */
  label: string;
  widget: Widget;
}

/**
 * The panel's body: the map's stage, people and chat, and the teaching
 * tools, arranged by `chooseLayout` for the space they have (a
 * ResizeObserver watches it). In `tabs` mode a tab strip (an ARIA tablist:
 * arrow keys, Home and End move between tabs) shows one section at a time
 * (or the list of people with the map, in its tab), and marks the tabs not
 * shown that have something new.
 */
export class ClassroomBody extends Panel {
  constructor(
    sections: ISection[],
    private readonly _mapSize: () => [number, number] | null,
    label: string,
    /** What the panel measures for `chooseLayout`: the tiles under the map, the Map tab's stage. */
    private readonly _measured: () => Pick<ILayoutInput, 'belowMap' | 'mapTab'> = () => ({})
  ) {
    super();
    this.addClass('jp-Classroom-body');
    const n = nextBodyId++;
    this._strip = el('div', 'jp-Classroom-sections');
    this._strip.setAttribute('role', 'tablist');
    this._strip.setAttribute('aria-label', label);
    this._strip.addEventListener('keydown', this._onKey);
    this.addWidget(new Widget({ node: this._strip }));
    for (const s of sections) {
      const tab = el('button', 'jp-Classroom-tab jp-Classroom-sectionTab', s.label) as HTMLButtonElement;
      tab.type = 'button';
      tab.id = `jp-Classroom-tab-${n}-${s.id}`;
      tab.dataset.section = s.id;
      tab.setAttribute('role', 'tab');
      tab.addEventListener('click', () => this.select(s.id, true));
      this._strip.appendChild(tab);
      s.widget.addClass('jp-Classroom-section');
      s.widget.node.dataset.section = s.id;
      s.widget.node.id = `jp-Classroom-section-${n}-${s.id}`;
      tab.setAttribute('aria-controls', s.widget.node.id);
      this.addWidget(s.widget);
      this._sections.set(s.id, { ...s, tab });
    }
    this._resize = new ResizeObserver(() => this.fit());
  }

  get mode(): LayoutMode {
    return this._arrangement.mode;
  }

  /** The arrangement changed (the panel reacts: the map's height). */
  get layoutChanged(): ISignal<this, ILayout> {
    return this._layoutChanged;
  }

  /** The largest height the map's box may take now (0 before the first layout). */
  get maxMapHeight(): number {
    return this._arrangement.mapMaxHeight;
  }

  /** Whether the people's list is under the map (`columns`, or `tabs` in the Map tab, with height to spare). */
  get peopleUnderMap(): boolean {
    return !!this._arrangement.peopleUnderMap;
  }

  /** The section shown in `tabs` mode. */
  get selected(): SectionId {
    return this._selected;
  }

  /** Whether a section can be seen now (always, except for tabs not chosen). */
  isShown(id: SectionId): boolean {
    return this._arrangement.mode !== 'tabs' || this._selected === tabOf(id, this._arrangement);
  }

  /** Show or hide a section (the teaching tools are for instructors only). */
  setAvailable(id: SectionId, available: boolean): void {
    const s = this._sections.get(id);
    if (!s || s.available === available) {
      return;
    }
    s.available = available;
    s.tab.hidden = !available;
    if (!available && this._selected === id) {
      this._selected = 'map';
    }
    this.fit(true);
  }

  /** Show a section (in `tabs` mode: choose the tab it is in), optionally moving the focus to that tab. */
  select(id: SectionId, focus = false): void {
    if (this._sections.get(id)?.available === false) {
      return;
    }
    const s = this._sections.get(tabOf(id, this._arrangement));
    if (!s) {
      return;
    }
    this._selected = s.id;
    this.markUnread(s.id, false);
    this._apply();
    if (focus) {
      s.tab.focus();
    }
  }

  /** Mark the tab a section is in as having something new (only while it is not shown). */
  markUnread(id: SectionId, unread: boolean): void {
    const s = this._sections.get(tabOf(id, this._arrangement));
    if (!s) {
      return;
    }
    const on = unread && !this.isShown(id);
    s.tab.classList.toggle('jp-mod-unread', on);
    s.tab.setAttribute('aria-label', on ? `${s.label} (${this._newLabel})` : s.label);
  }

  /** The word for "something new" in the tab's accessible name (translated by the panel). */
  set newLabel(text: string) {
    this._newLabel = text;
  }

  /** Work out the arrangement again (after a resize, or when `force`d). */
  fit(force = false): void {
    const width = this.node.clientWidth;
    const height = this.node.clientHeight;
    if (!width || !height) {
      return;
    }
    const size = this._mapSize() ?? [1600, 960];
    const teaching = this._sections.get('teaching')?.available !== false && this._sections.has('teaching');
    const layout = chooseLayout({
      width,
      height,
      mapWidth: size[0],
      mapHeight: size[1],
      teaching,
      ...this._measured()
    });
    const same =
      layout.mode === this._arrangement.mode &&
      layout.teachingColumn === this._arrangement.teachingColumn &&
      !!layout.peopleUnderMap === !!this._arrangement.peopleUnderMap &&
      Math.abs(layout.mapMaxHeight - this._arrangement.mapMaxHeight) < 1;
    if (same && !force) {
      return;
    }
    this._arrangement = layout;
    // The People tab gives way to the list under the map: the Map tab shows it.
    this._selected = tabOf(this._selected, layout);
    this._apply();
    this._layoutChanged.emit(layout);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._resize.observe(this.node);
    this.fit(true);
  }

  protected onBeforeDetach(msg: Message): void {
    this._resize.unobserve(this.node);
    super.onBeforeDetach(msg);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._resize.disconnect();
    Signal.clearData(this);
    super.dispose();
  }

  private _apply(): void {
    const { mode, teachingColumn, peopleUnderMap } = this._arrangement;
    this.node.dataset.layout = mode;
    this.node.dataset.teachingColumn = String(teachingColumn);
    this.node.dataset.peopleUnder = String(!!peopleUnderMap);
    const tabs = mode === 'tabs';
    this._strip.hidden = !tabs;
    for (const s of this._sections.values()) {
      const chosen = s.id === this._selected;
      const host = tabOf(s.id, this._arrangement);
      const shown = s.available !== false && (!tabs || host === this._selected);
      s.widget.setHidden(!shown);
      s.tab.hidden = s.available === false || host !== s.id;
      // The tab controls its section, and the Map tab the list under the map.
      const controls = [...this._sections.values()].filter(o => tabOf(o.id, this._arrangement) === s.id);
      if (controls.length) {
        s.tab.setAttribute('aria-controls', controls.map(o => o.widget.node.id).join(' '));
      } else {
        s.tab.removeAttribute('aria-controls');
      }
      if (tabs && host === s.id) {
        s.tab.setAttribute('aria-selected', String(chosen));
        s.tab.tabIndex = chosen ? 0 : -1;
        s.widget.node.setAttribute('role', 'tabpanel');
        s.widget.node.setAttribute('aria-labelledby', s.tab.id);
      } else {
        s.widget.node.removeAttribute('role');
        s.widget.node.removeAttribute('aria-labelledby');
      }
      if (shown) {
        s.tab.classList.remove('jp-mod-unread');
      }
    }
  }

  private _onKey = (event: KeyboardEvent): void => {
    const shown = [...this._sections.values()].filter(s => !s.tab.hidden).map(s => s.id);
    let id: SectionId | null = null;
    switch (event.key) {
      case 'ArrowRight':
      case 'ArrowDown':
        id = nextTab(shown, this._selected, 1);
        break;
      case 'ArrowLeft':
      case 'ArrowUp':
        id = nextTab(shown, this._selected, -1);
        break;
      case 'Home':
        id = shown[0];
        break;
      case 'End':
        id = shown[shown.length - 1];
        break;
    }
    if (id) {
      event.preventDefault();
      this.select(id, true);
    }
  };

  private _strip: HTMLElement;
  private _sections = new Map<SectionId, ISection & { tab: HTMLButtonElement; available?: boolean }>();
  private _selected: SectionId = 'map';
  private _arrangement: ILayout = { mode: 'stacked', teachingColumn: false, mapMaxHeight: 0 };
  private _layoutChanged = new Signal<this, ILayout>(this);
  private _resize: ResizeObserver;
  private _newLabel = 'new';
}
