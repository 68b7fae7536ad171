import { IAnnouncement, IClassState } from '../protocol';
import { IClassroom, IClassroomMedia } from '../tokens';
import { INotifier } from './notifier';
import { ISettingsStore } from './settings';

/**
 * What the instructors' powers ask of this browser: a student's client turns
 * off what an instructor muted or locked (on the open floor media goes peer
 * to peer, out of the server's reach), everyone sees the notices (summoned,
 * breakouts) as notifications (the announcement too, if the setting
 * `announcementToast` asks: the panel's banner shows it anyway), and while someone
 * broadcasts a LIVE banner (with a Stop for instructors) and other voices
 * ducked.
 */
export function obeyInstructors(
  model: IClassroom,
  { media, mixer }: IClassroomMedia,
  notifier: INotifier,
  settings: Promise<ISettingsStore> | null
): void {
  const { connection, trans } = model;
  // The panel's banner always shows the announcement; the notification is a setting.
  let toast = false;
  settings
    ?.then(store => {
      const apply = () => {
        toast = store.values.announcementToast;
      };
      apply();
      store.changed.connect(apply);
    })
    .catch(reason => console.error('classroom: the settings could not be loaded', reason));
  let announcement: IAnnouncement | null = null;
  let shown: string | null = null;
  let last: IClassState | null = null;
  let live: string | null = null;
  let liveBy: string | null = null;

  const isStudent = () => model.me?.role !== 'instructor';

  const obey = (state: IClassState) => {
    last = state;
    if (isStudent()) {
      if (state.locks.mic && media.micOn) {
        void media.setMic(false);
      }
      if (state.locks.camera && media.cameraOn) {
        void media.setCamera(false);
      }
      if (state.locks.screen && media.screenOn) {
        void media.setScreen(false);
      }
    }
    // Other voices duck while someone broadcasts.
    mixer.duck(state.broadcast ? [state.broadcast.by, ...state.broadcast.floor] : null);
    // The LIVE banner while someone broadcasts; instructors get its Stop.
    const by = state.broadcast?.by ?? null;
    if (by !== liveBy) {
      liveBy = by;
      if (live !== null) {
        notifier.dismiss(live);
        live = null;
      }
      if (by !== null) {
        const name = model.roster.get(by)?.name ?? trans.__('An instructor');
        const actions = isStudent()
          ? []
          : [
              {
                label: trans.__('Stop'),
                caption: trans.__('Stop broadcasting to the whole classroom'),
                callback: () => connection.send({ type: 'broadcast', on: false })
              }
            ];
        live = notifier.emit(trans.__('LIVE: %1 is speaking to the whole classroom.', name), 'warning', {
          autoClose: false,
          actions
        });
      }
    }
    const next = state.announcement ?? null;
    if (next?.ts === announcement?.ts && next?.text === announcement?.text) {
      return;
    }
    announcement = next;
    if (shown !== null) {
      notifier.dismiss(shown);
      shown = null;
    }
    if (next && toast) {
      shown = notifier.emit(trans.__('%1: %2', next.sender_name, next.text), 'info', { autoClose: false });
    }
  };

  connection.on('welcome', m => {
    if (m.classroom) {
      obey(m.classroom);
    }
  });
  connection.on('class_updated', m => obey(m.state));
  connection.on('muted', () => {
    void media.setMic(false);
    model.setMedia({ mic: false });
    notifier.emit(trans.__('An instructor muted your microphone.'), 'info', { autoClose: 5000 });
  });
  connection.on('notice', m => {
    const warn = m.kind === 'breakout_warning';
    notifier.emit(m.text, warn ? 'warning' : 'info', { autoClose: warn ? false : 8000 });
  });
  connection.on('error', m => {
    // Turning on what is locked was refused: the local track goes off too.
    if (m.code === 'locked' && last) {
      obey(last);
    }
  });
}
