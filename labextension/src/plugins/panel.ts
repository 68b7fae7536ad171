import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { createPanel } from '../create';
import { CommandIDs, IClassroom, IClassroomMedia } from '../tokens';
import { labSettings } from './settings';

/** The name the layout restorer saves the panel under, wherever it is. */
const RESTORE_NAME = 'classroom';

/**
 * The Classroom panel in the left sidebar, commands to open it beside the
 * notebooks, and shared screens in main-area tabs of their own. The panel
 * comes back where it was after a reload (the layout restorer). Keyboard
 * shortcuts are declared in `schema/plugin.json`, so people can change them.
 */
export const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-classroom:panel',
  description: 'The classroom map, participant list and chat.',
  autoStart: true,
  requires: [IClassroom, IClassroomMedia],
  optional: [ICommandPalette, ISettingRegistry, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    model: IClassroom,
    media: IClassroomMedia,
    palette: ICommandPalette | null,
    registry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const trans = model.trans;
    const place = (where: 'main' | 'left') => {
      if (where === 'main') {
        app.shell.add(panel, 'main', { mode: 'split-right' });
      } else {
        app.shell.add(panel, 'left', { rank: 600 });
      }
      panel.setPlacement(where);
      app.shell.activateById(panel.id);
    };
    const settings = labSettings(registry);
    const { panel } = createPanel(model, media, {
      place,
      // A shared screen opens beside the notebooks, without taking the focus
      // from what one is typing; further screens join its tab bar.
      addScreen: (tab, beside) => {
        if (beside) {
          app.shell.add(tab, 'main', { mode: 'tab-after', ref: beside.id, activate: false });
        } else {
          app.shell.add(tab, 'main', { mode: 'split-right', activate: false });
        }
      },
      activateScreen: tab => app.shell.activateById(tab.id),
      settings
    });
    app.shell.add(panel, 'left', { rank: 600 });
    if (restorer) {
      // Saved by name, in the sidebar or in the main area: a reload puts the
      // panel back where it was (LayoutRestorer rehydrates both areas).
      restorer.add(panel, RESTORE_NAME);
    }
    void app.restored.then(() => {
      const inMain = Array.from(app.shell.widgets('main')).includes(panel);
      panel.setPlacement(inMain ? 'main' : 'left');
      // For the tests: the layout is restored, the panel is where it stays.
      panel.node.dataset.restored = 'true';
    });
    // For the browser console and the tests: the settings in force.
    void settings?.then(store => Object.assign(panel.node, { classroomSettings: store.settings }));
    const { media: local } = media;

    app.commands.addCommand(CommandIDs.open, {
      label: trans.__('Open Classroom'),
      caption: trans.__('Open the classroom beside the notebooks'),
      icon: args => (args['isPalette'] ? undefined : panel.title.icon),
      execute: () => place('main')
    });
    app.commands.addCommand(CommandIDs.toSidebar, {
      label: trans.__('Move Classroom to the Sidebar'),
      execute: () => place('left')
    });
    app.commands.addCommand(CommandIDs.focusMap, {
      label: trans.__('Focus the Classroom Map'),
      execute: () => {
        app.shell.activateById(panel.id);
        panel.map.node.focus();
      }
    });
    app.commands.addCommand(CommandIDs.toggleHand, {
      label: trans.__('Raise or Lower Your Hand'),
      isToggled: () => !!model.me?.hand,
      execute: () => panel.toggleHand()
    });
    app.commands.addCommand(CommandIDs.toggleMic, {
      label: trans.__('Mute or Unmute the Microphone'),
      isToggled: () => local.micOn,
      execute: () => panel.controls.toggleMic()
    });
    app.commands.addCommand(CommandIDs.toggleCamera, {
      label: trans.__('Start or Stop the Camera'),
      isToggled: () => local.cameraOn,
      execute: () => panel.controls.toggleCamera()
    });
    app.commands.addCommand(CommandIDs.toggleScreen, {
      label: trans.__('Start or Stop Sharing the Screen'),
      isToggled: () => local.screenOn,
      execute: () => panel.controls.toggleScreen()
    });
    if (palette) {
      for (const command of [
        CommandIDs.open,
        CommandIDs.toSidebar,
        CommandIDs.focusMap,
        CommandIDs.toggleHand,
        CommandIDs.toggleMic,
        CommandIDs.toggleCamera,
        CommandIDs.toggleScreen
      ]) {
        palette.addItem({ command, category: trans.__('Classroom') });
      }
    }
  }
};
