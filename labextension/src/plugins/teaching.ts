import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';

import { IAnnouncement, IClassState } from '../protocol';
import { IClassroom, IClassroomMedia } from '../tokens';

/**
 * What the instructors' powers ask of this browser: a student's client turns
 * off what an instructor muted or locked (on the open floor media goes peer
 * to peer, out of the server's reach), everyone sees the announcement and
 * the notices (summoned, breakouts) as notifications, and while someone
 * broadcasts a LIVE banner (with a Stop for instructors) and other voices
 * ducked.
 */
export const teachingPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-classroom:teaching',
  description: "Obeys the instructors' mutes and locks; shows announcements and notices.",
  autoStart: true,
  requires: [IClassroom, IClassroomMedia],
  activate: (app: JupyterFrontEnd, model: IClassroom, { media, mixer }: IClassroomMedia): void => {
    const { connection, trans } = model;
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
          Notification.dismiss(live);
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
          live = Notification.warning(trans.__('LIVE: %1 is speaking to the whole classroom.', name), {
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
        Notification.dismiss(shown);
        shown = null;
      }
      if (next) {
        shown = Notification.info(trans.__('%1: %2', next.sender_name, next.text), { autoClose: false });
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
      Notification.info(trans.__('An instructor muted your microphone.'), { autoClose: 5000 });
    });
    connection.on('notice', m => {
      const warn = m.kind === 'breakout_warning';
      Notification.emit(m.text, warn ? 'warning' : 'info', { autoClose: warn ? false : 8000 });
    });
    connection.on('error', m => {
      // Turning on what is locked was refused: the local track goes off too.
      if (m.code === 'locked' && last) {
        obey(last);
      }
    });
  }
};
