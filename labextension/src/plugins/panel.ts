import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ClassroomModel } from '../model/classroom';
import { ClassroomConnection } from '../model/connection';
import { LocalMedia } from '../rtc/media';
import { AudioMixer } from '../rtc/mixer';
import { PeerManager } from '../rtc/peers';
import { RoomConnection } from '../rtc/sfu';
import { CommandIDs, IClassroom } from '../tokens';
import { ClassroomPanel } from '../view/panel';

function socketUrl(): string {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.wsUrl, 'classroom', 'ws');
  return settings.token ? `${url}?token=${encodeURIComponent(settings.token)}` : url;
}

/**
 * The Classroom panel in the left sidebar, and commands to open it beside the
 * notebooks.
 */
export const panelPlugin: JupyterFrontEndPlugin<IClassroom> = {
  id: 'jupyterlab-classroom:panel',
  description: 'The classroom map, participant list and chat.',
  autoStart: true,
  provides: IClassroom,
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null
  ): IClassroom => {
    const model = new ClassroomModel(new ClassroomConnection(socketUrl));
    const place = (where: 'main' | 'left') => {
      if (where === 'main') {
        app.shell.add(panel, 'main', { mode: 'split-right' });
      } else {
        app.shell.add(panel, 'left', { rank: 600 });
      }
      panel.setPlacement(where);
      app.shell.activateById(panel.id);
    };
    const media = new LocalMedia();
    const mixer = new AudioMixer();
    const peers = new PeerManager(model, media, mixer);
    const room = new RoomConnection(model, media, mixer);
    const panel = new ClassroomPanel(model, media, mixer, peers, room, place, widget => {
      app.shell.add(widget, 'main', { mode: 'split-bottom' });
      app.shell.activateById(widget.id);
    });
    // Diagnostics for the browser console and the tests: the open-floor
    // calls, the room connection and the mixer.
    Object.assign(panel.node, { classroomPeers: peers, classroomRoom: room, classroomMixer: mixer });
    app.shell.add(panel, 'left', { rank: 600 });
    window.addEventListener('beforeunload', () => {
      peers.dispose();
      room.dispose();
      mixer.dispose();
      media.dispose();
      model.dispose();
    });

    app.commands.addCommand(CommandIDs.open, {
      label: 'Open Classroom',
      caption: 'Open the classroom beside the notebooks',
      icon: args => (args['isPalette'] ? undefined : panel.title.icon),
      execute: () => place('main')
    });
    app.commands.addCommand(CommandIDs.toSidebar, {
      label: 'Move Classroom to the Sidebar',
      execute: () => place('left')
    });
    app.commands.addCommand(CommandIDs.focusMap, {
      label: 'Focus the Classroom Map',
      execute: () => {
        app.shell.activateById(panel.id);
        panel.map.node.focus();
      }
    });
    app.commands.addCommand(CommandIDs.toggleHand, {
      label: 'Raise or Lower Your Hand',
      isToggled: () => !!model.me?.hand,
      execute: () => panel.toggleHand()
    });
    app.commands.addCommand(CommandIDs.toggleMic, {
      label: 'Mute or Unmute the Microphone',
      isToggled: () => media.micOn,
      execute: () => panel.controls.toggleMic()
    });
    app.commands.addCommand(CommandIDs.toggleCamera, {
      label: 'Start or Stop the Camera',
      isToggled: () => media.cameraOn,
      execute: () => panel.controls.toggleCamera()
    });
    app.commands.addCommand(CommandIDs.toggleScreen, {
      label: 'Start or Stop Sharing the Screen',
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
        palette.addItem({ command, category: 'Classroom' });
      }
    }
    return { model };
  }
};
