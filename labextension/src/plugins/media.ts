import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { LocalMedia } from '../rtc/media';
import { AudioMixer } from '../rtc/mixer';
import { PeerManager } from '../rtc/peers';
import { RoomConnection } from '../rtc/sfu';
import { TransportChooser } from '../rtc/wsmedia/chooser';
import { SocketMedia } from '../rtc/wsmedia/socketmedia';
import { IClassroom, IClassroomMedia } from '../tokens';
import { IClassroomSettings, SETTINGS_ID } from './settings';

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
  activate: (app: JupyterFrontEnd, model: IClassroom, registry: ISettingRegistry | null): IClassroomMedia => {
    const media = new LocalMedia();
    const mixer = new AudioMixer();
    const socket = new SocketMedia(model, media, mixer);
    const peers = new PeerManager(model, media, mixer, socket);
    const room = new RoomConnection(model, media, mixer, socket);
    const chooser = new TransportChooser(socket, room, peers);
    window.addEventListener('beforeunload', () => {
      chooser.dispose();
      peers.dispose();
      room.dispose();
      socket.dispose();
      mixer.dispose();
      media.dispose();
    });
    if (registry) {
      registry
        .load(SETTINGS_ID)
        .then(settings => {
          const apply = () => {
            const s = settings.composite as unknown as IClassroomSettings;
            peers.spatial = s.spatialAudio;
            socket.prefer(s.mediaTransport ?? 'auto');
            peers.updateVoices();
            if (media.chosen.audioinput !== s.microphone) {
              void media.choose('audioinput', s.microphone);
            }
            if (media.chosen.videoinput !== s.camera) {
              void media.choose('videoinput', s.camera);
            }
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => console.error('classroom: the settings could not be loaded', reason));
    }
    return { media, mixer, peers, room, socket, chooser };
  }
};
