/**
 * Builds the engines inside the worker, by name from a table. An engine that cannot be built is reported as
 * failed/unavailable with the reason instead of taking the worker down.
 */
import { pathToFileURL } from 'node:url';
import type { EngineName } from '../../core/params';
import type { EngineStatus } from '../../core/protocol';
import { engineDescriptor, unavailableStatus } from '../engines/descriptors';
import type { Engine } from '../engines/engine';
import type { EngineSettings } from './messages';

export type EngineLog = (message: string) => void;

type EngineBuilder = (settings: EngineSettings, log: EngineLog) => Promise<Engine | EngineStatus>;

const BUILDERS: Record<EngineName, EngineBuilder> = {
  sdxl: async (settings, log) => {
    if (!settings.modelDir) return engineDescriptor('sdxl').placeholder(settings, 'no model');
    const { createSdxlEngine } = await import('../engines/sdxl/index');
    const { createOrtRuntime } = await import('../runtime/ort-runtime');
    return createSdxlEngine({
      runtime: createOrtRuntime(),
      modelDir: settings.modelDir,
      configFrom: settings.modelConfigFrom ?? undefined,
      graphDtype: settings.graphDtype,
      provider: settings.provider,
      lowMemory: settings.lowMemory,
      batchVariations: settings.batchVariations,
      log,
    });
  },
  classic: async () => {
    const { createClassicEngine } = await import('../engines/classic/index');
    return createClassicEngine();
  },
};

/** Per engine name: the engine, or the status that explains why there is none. */
export type EngineSlot = Engine | EngineStatus;

export function isEngine(slot: EngineSlot): slot is Engine {
  return typeof (slot as Engine).run === 'function';
}

export async function createEngines(settings: EngineSettings, log: EngineLog): Promise<Map<EngineName, EngineSlot>> {
  const slots = new Map<EngineName, EngineSlot>();
  if (settings.engineModule) {
    const module = (await import(pathToFileURL(settings.engineModule).href)) as {
      createEngines(settings: EngineSettings): Engine[];
    };
    for (const engine of module.createEngines(settings)) slots.set(engine.name, engine);
    return slots;
  }
  for (const [name, build] of Object.entries(BUILDERS) as [EngineName, EngineBuilder][]) {
    try {
      slots.set(name, await build(settings, log));
    } catch (error) {
      slots.set(name, unavailableStatus(name, `the ${name} engine could not be created: ${(error as Error).message}`, 'failed'));
    }
  }
  return slots;
}
