import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { createMedia } from '../create';
import { IClassroom, IClassroomMedia } from '../tokens';
import { labSettings } from './settings';

/**
 * The classroom's media: the microphone, camera and screen, the open-floor
 * calls, the room's conference and the spatial mixer.
 */
export const mediaPlugin: JupyterFrontEndPlugin<IClassroomMedia> = {
  id: 'jupyterlab-classroom:media',
  description: 'Microphone, camera and screen, open-floor calls, room conferences and spatial audio.',
  autoStart: true,
  requires: [IClassroom],
  provides: IClassroomMedia,
  optional: [ISettingRegistry],
  activate: (app: JupyterFrontEnd, model: IClassroom, registry: ISettingRegistry | null): IClassroomMedia =>
    createMedia(model, labSettings(registry))
};
