import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { CommandIDs, IClassroom, IClassroomMedia } from '../tokens';
import { ClassroomPanel } from '../view/panel';
import { IClassroomSettings, SETTINGS_ID } from './settings';

/**
 * The Classroom panel in the left sidebar, and commands to open it beside the
 * notebooks.
 */
export const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-classroom:panel',
  description: 'The classroom map, participant list and chat.',
  autoStart: true,
  requires: [IClassroom, IClassroomMedia],
  optional: [ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    model: IClassroom,
    { media, mixer, peers, room }: IClassroomMedia,
    palette: ICommandPalette | null,
    registry: ISettingRegistry | null
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
    const panel = new ClassroomPanel(model, media, mixer, peers, room, place, widget => {
      app.shell.add(widget, 'main', { mode: 'split-bottom' });
      app.shell.activateById(widget.id);
    });
    // Diagnostics for the browser console and the tests: the open-floor
    // calls, the room connection and the mixer.
    Object.assign(panel.node, { classroomPeers: peers, classroomRoom: room, classroomMixer: mixer });
    app.shell.add(panel, 'left', { rank: 600 });

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
    app.commands.addKeyBinding({ command: CommandIDs.open, keys: ['Accel Shift K'], selector: 'body' });
    app.commands.addKeyBinding({ command: CommandIDs.toggleMic, keys: ['Accel Alt M'], selector: 'body' });
    app.commands.addKeyBinding({ command: CommandIDs.toggleCamera, keys: ['Accel Alt V'], selector: 'body' });
    app.commands.addKeyBinding({ command: CommandIDs.toggleScreen, keys: ['Accel Alt S'], selector: 'body' });
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
