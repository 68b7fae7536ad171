import { ISignal, Signal } from '@lumino/signaling';

import { IClassroomSettings, ISettingsStore } from '../create/settings';

/** Where the page keeps the person's choices (JupyterLab keeps them on the server). */
export const SETTINGS_KEY = 'jupyterlab-classroom:page-settings';

interface ISchema {
  properties: Record<string, { default?: unknown; type?: string; enum?: unknown[] }>;
}

// The schema is outside tsc's rootDir, so the bundler reads it: an import would not compile.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SCHEMA: ISchema = require('../../schema/plugin.json');

/** The schema's defaults. */
export function defaultSettings(schema: ISchema = SCHEMA): IClassroomSettings {
  const values: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    values[key] = property.default;
  }
  return values as unknown as IClassroomSettings;
}

/** What was kept, where it still fits the schema (a type or a choice may have changed since). */
export function keptSettings(text: string | null, schema: ISchema = SCHEMA): Partial<IClassroomSettings> {
  let kept: unknown;
  try {
    kept = JSON.parse(text ?? '{}');
  } catch {
    return {};
  }
  const valid: Record<string, unknown> = {};
  if (kept && typeof kept === 'object') {
    for (const [key, value] of Object.entries(kept)) {
      const property = schema.properties[key];
      if (!property || typeof value !== property.type || (property.enum && !property.enum.includes(value))) {
        continue;
      }
      valid[key] = value;
    }
  }
  return valid as Partial<IClassroomSettings>;
}

/** The classroom's settings on the standalone page: the schema's defaults and this browser's choices. */
export class LocalSettings implements ISettingsStore {
  constructor(private readonly _storage: Storage | null) {
    let text: string | null = null;
    try {
      text = _storage?.getItem(SETTINGS_KEY) ?? null;
    } catch {
      text = null;
    }
    this._chosen = keptSettings(text);
  }

  get values(): IClassroomSettings {
    return { ...defaultSettings(), ...this._chosen };
  }

  get changed(): ISignal<ISettingsStore, void> {
    return this._changed;
  }

  set<K extends keyof IClassroomSettings>(key: K, value: IClassroomSettings[K]): Promise<void> {
    this._chosen = { ...this._chosen, [key]: value };
    try {
      this._storage?.setItem(SETTINGS_KEY, JSON.stringify(this._chosen));
    } catch {
      // No storage: the choice lasts this page.
    }
    this._changed.emit();
    return Promise.resolve();
  }

  private _chosen: Partial<IClassroomSettings>;
  private _changed = new Signal<ISettingsStore, void>(this);
}
