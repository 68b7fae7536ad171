import { TranslationBundle } from '@jupyterlab/translation';

import { ClassroomModel } from '../model/classroom';
import { ClassroomConnection } from '../model/connection';
import { IEndpoint } from '../model/endpoint';
import { LocalMedia } from '../rtc/media';
import { AudioMixer } from '../rtc/mixer';
import { PeerManager } from '../rtc/peers';
import { RoomConnection } from '../rtc/sfu';
import { TransportChooser } from '../rtc/wsmedia/chooser';
import { SocketMedia } from '../rtc/wsmedia/socketmedia';
import { IClassroom, IClassroomMedia } from '../tokens';
import { ClassroomPanel } from '../view/panel';
import { ScreenTab, ScreenTabPlacer, ScreenTabs } from '../view/screens';
import { INotifier } from './notifier';
import { ISettingsStore } from './settings';
import { obeyInstructors } from './teaching';

/**
 * How the classroom is put together, once for every host: the JupyterLab
 * plugins call these one by one (each behind its token), the standalone
 * page calls createClassroom. A part added here appears in both.
 */

/** What the classroom client needs from its host. */
export interface IModelOptions {
  /** Where the classroom is: this server's, a hub's, a guest's. */
  endpoint: IEndpoint;
  trans: TranslationBundle;
}

/** The classroom client: the connection and the mirror of the classroom. */
export function createModel({ endpoint, trans }: IModelOptions): IClassroom {
  const model = new ClassroomModel(new ClassroomConnection(() => endpoint.socketUrl(), trans), trans);
  model.endpoint = endpoint;
  // No goodbye as the page goes away: it may be a reload. The socket
  // closes (1001), the server keeps us for its reload grace and the model
  // keeps our place for the tab's next page (model/place.ts).
  return model;
}

/**
 * The classroom's media: the microphone, camera and screen, the open-floor
 * calls, the room's conference and the spatial mixer, following the
 * person's settings once they are loaded.
 */
export function createMedia(model: IClassroom, settings: Promise<ISettingsStore> | null): IClassroomMedia {
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
  settings
    ?.then(store => {
      const apply = () => {
        const s = store.values;
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
      store.changed.connect(apply);
    })
    .catch(reason => console.error('classroom: the settings could not be loaded', reason));
  return { media, mixer, peers, room, socket, chooser };
}

/** Where the host puts the panel and the shared screens' tabs. */
export interface IPanelOptions {
  /** Move the panel between the sidebar and the main area (null: it stays put). */
  place: ((where: 'main' | 'left') => void) | null;
  /** Put a screen's tab somewhere (beside another screen's, if given). */
  addScreen: ScreenTabPlacer;
  /** Bring a screen's tab to the front (the person asked to see it). */
  activateScreen: (tab: ScreenTab) => void;
  settings: Promise<ISettingsStore> | null;
}

/** The panel (map, participant list, chat, media, teaching) and the screens' tabs. */
export function createPanel(
  model: IClassroom,
  { media, mixer, peers, room, socket, chooser }: IClassroomMedia,
  options: IPanelOptions
): { panel: ClassroomPanel; screens: ScreenTabs } {
  const screens = new ScreenTabs(model, peers, room, options.addScreen);
  const panel = new ClassroomPanel(model, media, mixer, peers, room, socket, options.place, pid => {
    const tab = screens.show(pid);
    if (tab) {
      options.activateScreen(tab);
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
  options.settings
    ?.then(store => {
      const apply = () => {
        panel.map.showNames = store.values.showNames;
        panel.controls.setPushToTalk(store.values.pushToTalk);
      };
      apply();
      store.changed.connect(apply);
      // Choices made in the panel are remembered as the person's settings.
      panel.controls.pushToTalkChanged.connect((_, on) => void store.set('pushToTalk', on));
      panel.controls.deviceChosen.connect(
        (_, { kind, deviceId }) => void store.set(kind === 'audioinput' ? 'microphone' : 'camera', deviceId)
      );
    })
    .catch(reason => console.error('classroom: the settings could not be loaded', reason));
  return { panel, screens };
}

/** Everything the classroom is, for a host without JupyterLab's plugins. */
export interface IClassroomOptions extends IModelOptions, Omit<IPanelOptions, 'settings'> {
  settings: Promise<ISettingsStore> | null;
  notifier: INotifier;
}

/** The whole classroom: the client, its media, the instructors' powers obeyed, and the panel. */
export function createClassroom(options: IClassroomOptions): {
  model: IClassroom;
  media: IClassroomMedia;
  panel: ClassroomPanel;
  screens: ScreenTabs;
} {
  const model = createModel(options);
  const media = createMedia(model, options.settings);
  obeyInstructors(model, media, options.notifier, options.settings);
  const { panel, screens } = createPanel(model, media, options);
  return { model, media, panel, screens };
}
