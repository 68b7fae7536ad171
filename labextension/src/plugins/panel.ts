import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { CommandIDs, IClassroom, IClassroomMedia } from '../tokens';
import { ClassroomPanel } from '../view/panel';
import { ScreenTabs } from '../view/screens';
import { IClassroomSettings, SETTINGS_ID } from './settings';

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
    { media, mixer, peers, room, socket, chooser }: IClassroomMedia,
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
    // A shared screen opens beside the notebooks, without taking the focus
    // from what one is typing; further screens join its tab bar.
    const screens = new ScreenTabs(model, peers, room, (tab, beside) => {
      if (beside) {
        app.shell.add(tab, 'main', { mode: 'tab-after', ref: beside.id, activate: false });
      } else {
        app.shell.add(tab, 'main', { mode: 'split-right', activate: false });
      }
    });
    const panel = new ClassroomPanel(model, media, mixer, peers, room, socket, place, pid => {
      const tab = screens.show(pid);
      if (tab) {
        app.shell.activateById(tab.id);
      }
    });
    // Diagnostics for the browser console and the tests: the open-floor
    // calls, the room connection, the transport's choice, the mixer and the
    // screens' tabs.
    Object.assign(panel.node, {
      classroomPeers: peers,
      classroomRoom: room,
      classroomSocket: socket,
      classroomChooser: chooser,
      classroomMixer: mixer,
      classroomScreens: screens
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

    if (registry) {
      registry
        .load(SETTINGS_ID)
        .then(settings => {
          const apply = () => {
            const s = settings.composite as unknown as IClassroomSettings;
            panel.map.showNames = s.showNames;
            panel.controls.setPushToTalk(s.pushToTalk);
          };
          apply();
          settings.changed.connect(apply);
          // Choices made in the panel are remembered as the user's settings.
          panel.controls.pushToTalkChanged.connect((_, on) => void settings.set('pushToTalk', on));
          panel.controls.deviceChosen.connect(
            (_, { kind, deviceId }) => void settings.set(kind === 'audioinput' ? 'microphone' : 'camera', deviceId)
          );
          // For the browser console and the tests: the settings in force.
          Object.assign(panel.node, { classroomSettings: settings });
        })
        .catch(reason => console.error('classroom: the settings could not be loaded', reason));
    }

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
      isToggled: () => media.micOn,
      execute: () => panel.controls.toggleMic()
    });
    app.commands.addCommand(CommandIDs.toggleCamera, {
      label: trans.__('Start or Stop the Camera'),
      isToggled: () => media.cameraOn,
      execute: () => panel.controls.toggleCamera()
    });
    app.commands.addCommand(CommandIDs.toggleScreen, {
      label: trans.__('Start or Stop Sharing the Screen'),
      isToggled: () => media.screenOn,
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
