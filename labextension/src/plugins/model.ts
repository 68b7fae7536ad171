import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ClassroomModel } from '../model/classroom';
import { ClassroomConnection } from '../model/connection';
import { IClassroom } from '../tokens';

function socketUrl(): string {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.wsUrl, 'classroom', 'ws');
  return settings.token ? `${url}?token=${encodeURIComponent(settings.token)}` : url;
}

/** The classroom client: the connection and the mirror of the classroom. */
export const modelPlugin: JupyterFrontEndPlugin<IClassroom> = {
  id: 'jupyterlab-classroom:model',
  description: 'The classroom connection, roster, own avatar and chat.',
  autoStart: true,
  provides: IClassroom,
  optional: [ITranslator],
  activate: (app: JupyterFrontEnd, translator: ITranslator | null): IClassroom => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_classroom');
    const model = new ClassroomModel(new ClassroomConnection(socketUrl, trans), trans);
    window.addEventListener('beforeunload', () => model.dispose());
    return model;
  }
};
