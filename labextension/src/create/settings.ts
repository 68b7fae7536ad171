import { ISignal } from '@lumino/signaling';

import { TransportMode } from '../protocol';

/** The id of the classroom's settings (labextension/schema/plugin.json). */
export const SETTINGS_ID = 'jupyterlab-classroom:plugin';

/** The settings as the schema defines them. */
export interface IClassroomSettings {
  pushToTalk: boolean;
  microphone: string;
  camera: string;
  spatialAudio: boolean;
  mediaTransport: TransportMode;
  showNames: boolean;
  /** The announcement as a notification too (the panel's banner always shows it). */
  announcementToast: boolean;
}

/**
 * The person's classroom settings, wherever they are kept: JupyterLab's
 * setting registry in the lab, this browser's storage on the standalone page.
 */
export interface ISettingsStore {
  /** The settings in force (defaults where nothing is set). */
  readonly values: IClassroomSettings;
  /** Emitted after `values` changed. */
  readonly changed: ISignal<ISettingsStore, void>;
  /** Remember a choice made in the classroom. */
  set<K extends keyof IClassroomSettings>(key: K, value: IClassroomSettings[K]): Promise<void>;
}
