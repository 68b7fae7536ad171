import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';

import { IClassroomSettings, ISettingsStore, SETTINGS_ID } from '../create/settings';

export { IClassroomSettings, SETTINGS_ID };

/** The classroom's settings in JupyterLab's setting registry. */
class RegistrySettings implements ISettingsStore {
  constructor(readonly settings: ISettingRegistry.ISettings) {
    settings.changed.connect(() => this._changed.emit());
  }

  get values(): IClassroomSettings {
    return this.settings.composite as unknown as IClassroomSettings;
  }

  get changed(): ISignal<ISettingsStore, void> {
    return this._changed;
  }

  set<K extends keyof IClassroomSettings>(key: K, value: IClassroomSettings[K]): Promise<void> {
    return this.settings.set(key, value);
  }

  private _changed = new Signal<ISettingsStore, void>(this);
}

const loaded = new WeakMap<ISettingRegistry, Promise<RegistrySettings>>();

/** The classroom's settings from the registry, loaded once for all the plugins (null: no registry). */
export function labSettings(registry: ISettingRegistry | null): Promise<RegistrySettings> | null {
  if (!registry) {
    return null;
  }
  let settings = loaded.get(registry);
  if (!settings) {
    settings = registry.load(SETTINGS_ID).then(s => new RegistrySettings(s));
    loaded.set(registry, settings);
  }
  return settings;
}
