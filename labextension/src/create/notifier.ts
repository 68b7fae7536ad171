/** A button on a notification. */
export interface INotifyAction {
  label: string;
  caption?: string;
  callback: () => void;
}

/** How long a notification stays (ms; false: until dismissed) and its buttons. */
export interface INotifyOptions {
  autoClose?: number | false;
  actions?: INotifyAction[];
}

/**
 * Where the classroom's notices (announcements, LIVE, summons) are shown:
 * JupyterLab's notifications in the lab, an in-page list on the standalone
 * page.
 */
export interface INotifier {
  /** Show `text`; the notification's id. */
  emit(text: string, kind: 'info' | 'warning', options?: INotifyOptions): string;
  dismiss(id: string): void;
}
