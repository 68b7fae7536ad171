import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { mediaPlugin } from './plugins/media';
import { modelPlugin } from './plugins/model';
import { panelPlugin } from './plugins/panel';
import { teachingPlugin } from './plugins/teaching';

export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [modelPlugin, mediaPlugin, panelPlugin, teachingPlugin];

export default plugins;
