import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { mediaPlugin } from './plugins/media';
import { modelPlugin } from './plugins/model';
import { panelPlugin } from './plugins/panel';
import { teachingPlugin } from './plugins/teaching';
import { widgetsPlugin } from './plugins/widgets';

export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [modelPlugin, mediaPlugin, panelPlugin, teachingPlugin, widgetsPlugin];

export default plugins;
