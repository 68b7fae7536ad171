import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ITranslator } from '@jupyterlab/translation';

import { ClassroomWidgetModel, ClassroomWidgetView, MODULE_NAME, setTranslation } from '../widget/classroom';

/** This package's version: the widget's `_model_module_version` range must accept it. */
// package.json is outside tsc's rootDir, so the bundler reads it: an import would not compile.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MODULE_VERSION: string = require('../../package.json').version;

/**
 * The classroom's notebook widget (`Classroom().widget()` in Python),
 * rendered through JupyterLab's widget manager.
 */
export const widgetsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-classroom:widgets',
  description: 'Renders the classroom widget of the notebook API.',
  autoStart: true,
  requires: [IJupyterWidgetRegistry],
  optional: [ITranslator],
  activate: (app: JupyterFrontEnd, registry: IJupyterWidgetRegistry, translator: ITranslator | null): void => {
    if (translator) {
      setTranslation(translator.load('jupyterlab_classroom'));
    }
    registry.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: { ClassroomWidgetModel, ClassroomWidgetView }
    });
  }
};
