import { Token } from '@lumino/coreutils';

import { ClassroomModel } from './model/classroom';

/** Command ids of the classroom. */
export namespace CommandIDs {
  /** Open the classroom in the main area, beside the notebooks. */
  export const open = 'classroom:open';
  /** Put the classroom panel back in the left sidebar. */
  export const toSidebar = 'classroom:move-to-sidebar';
  /** Give the map keyboard focus. */
  export const focusMap = 'classroom:focus-map';
  /** Raise or lower your hand. */
  export const toggleHand = 'classroom:toggle-hand';
  /** Mute or unmute the microphone. */
  export const toggleMic = 'classroom:toggle-microphone';
  /** Start or stop the camera. */
  export const toggleCamera = 'classroom:toggle-camera';
  /** Start or stop sharing the screen. */
  export const toggleScreen = 'classroom:toggle-screen';
}

/** The classroom client model, for plugins that add to the classroom (media, rooms). */
export interface IClassroom {
  readonly model: ClassroomModel;
}

export const IClassroom = new Token<IClassroom>(
  'jupyterlab-classroom:IClassroom',
  'The classroom client: participants, positions and chat.'
);
