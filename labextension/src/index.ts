import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { mediaPlugin } from './plugins/media';
import { modelPlugin } from './plugins/model';
import { panelPlugin } from './plugins/panel';

export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [modelPlugin, mediaPlugin, panelPlugin];

export default plugins;
