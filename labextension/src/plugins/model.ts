import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ClassroomModel } from '../model/classroom';
import { ClassroomConnection } from '../model/connection';
import { ClassroomEndpoint } from '../model/endpoint';
import { IClassroom } from '../tokens';

/** The classroom client: the connection and the mirror of the classroom. */
export const modelPlugin: JupyterFrontEndPlugin<IClassroom> = {
  id: 'jupyterlab-classroom:model',
  description: 'The classroom connection, roster, own avatar and chat.',
  autoStart: true,
  provides: IClassroom,
  optional: [ITranslator],
  activate: (app: JupyterFrontEnd, translator: ITranslator | null): IClassroom => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_classroom');
    // This server's classroom, or the hub's when the server says so.
    const endpoint = new ClassroomEndpoint(trans);
    const model = new ClassroomModel(new ClassroomConnection(() => endpoint.socketUrl(), trans), trans);
    model.endpoint = endpoint;
    window.addEventListener('beforeunload', () => model.dispose());
    return model;
  }
};
