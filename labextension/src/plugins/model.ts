import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { createModel } from '../create';
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
    return createModel({ endpoint: new ClassroomEndpoint(trans), trans });
  }
};
