/** How long a message stays when nothing resolves it sooner. */
export const NOTICE_MS = 8000;

/**
 * A line that tells people what went wrong, and goes away by itself: after
 * `NOTICE_MS`, or earlier when the owner says the problem is resolved
 * (`clear`, or `clear(code)` for one kind of problem). It is a live region
 * (`role="alert"`), so screen readers read it once when it appears.
 */
export class Notice {
  constructor(className = 'jp-Classroom-error') {
    this.node = document.createElement('p');
    this.node.className = className;
    this.node.setAttribute('role', 'alert');
  }

  readonly node: HTMLParagraphElement;

  /** What the notice is about (an error code), or '' when it is empty. */
  get code(): string {
    return this._code;
  }

  /** Say `text`; `code` names the problem, so resolving it clears just that. */
  show(text: string, code = '', ms = NOTICE_MS): void {
    window.clearTimeout(this._timer);
    this._code = code;
    this.node.textContent = text;
    this.node.dataset.code = code;
    this._timer = window.setTimeout(() => this.clear(), ms);
  }

  /** Clear the notice (only if it is about `code`, when given). */
  clear(code?: string): void {
    if (code !== undefined && code !== this._code) {
      return;
    }
    window.clearTimeout(this._timer);
    this._timer = 0;
    this._code = '';
    this.node.textContent = '';
    delete this.node.dataset.code;
  }

  dispose(): void {
    window.clearTimeout(this._timer);
  }

  private _code = '';
  private _timer = 0;
}
