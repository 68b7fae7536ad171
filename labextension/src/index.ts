import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { panelPlugin } from './plugins/panel';

export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [panelPlugin];

export default plugins;
