import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { INotifier } from '../create/notifier';
import { obeyInstructors } from '../create/teaching';
import { IClassroom, IClassroomMedia } from '../tokens';
import { labSettings } from './settings';

/** JupyterLab's notifications, for the classroom's notices. */
const labNotifier: INotifier = {
  emit: (text, kind, options) => Notification.emit(text, kind, options ?? {}),
  dismiss: id => Notification.dismiss(id)
};

/** The instructors' mutes and locks obeyed, their announcements and notices shown (see obeyInstructors). */
export const teachingPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-classroom:teaching',
  description: "Obeys the instructors' mutes and locks; shows announcements and notices.",
  autoStart: true,
  requires: [IClassroom, IClassroomMedia],
  optional: [ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    model: IClassroom,
    media: IClassroomMedia,
    registry: ISettingRegistry | null
  ): void => obeyInstructors(model, media, labNotifier, labSettings(registry))
};
