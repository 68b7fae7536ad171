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
}
