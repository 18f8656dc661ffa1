/** The settings slice: restored at start, remembered (all but the prompt) on every change. */
import type { KeyValueStorage } from './connection';
import type { StateCell } from './panel-state';
import { persistedSettings, restoreSettings } from './settings';
import type { Settings } from './settings';

const SETTINGS_STORAGE_KEY = 'genfill.settings';

export class SettingsState {
  readonly #cell: StateCell;
  readonly #storage: KeyValueStorage;

  constructor(cell: StateCell, storage: KeyValueStorage) {
    this.#cell = cell;
    this.#storage = storage;
  }

  static restore(storage: KeyValueStorage): Settings {
    return restoreSettings(storage.getItem(SETTINGS_STORAGE_KEY));
  }

  update(patch: Partial<Settings>): void {
    const settings = { ...this.#cell.get().settings, ...patch };
    if (Object.keys(patch).some((key) => key !== 'prompt')) this.#storage.setItem(SETTINGS_STORAGE_KEY, persistedSettings(settings));
    this.#cell.set({ settings });
  }

  /** Fixes the seed to a shown result's seed so it can be made again (with other settings). */
  reuseSeed(index: number): void {
    const job = this.#cell.get().job;
    const result = job.phase === 'done' ? job.results.find((r) => r.index === index) : undefined;
    if (result) this.update({ seedMode: 'fixed', seed: result.seed });
  }
}
