/**
 * Each engine's identity in one table: its name, the size it works at, what health shows before the worker has
 * built it, and its place in `auto`'s choice. Building an engine is the worker's part (worker/engine-factory.ts);
 * this table is plain data both threads import.
 */
import { pickWorkingSize, transferSize, type Size } from '../../core/geometry';
import type { EngineName } from '../../core/params';
import type { EngineStatus } from '../../core/protocol';
import { missingModelHelp } from './sdxl/model-help';

/** PatchMatch cost grows with the pixel count; beyond this the crop is filled downscaled, then upscaled back. */
export const CLASSIC_MAX_PIXELS = 1_500_000;

export interface EngineDescriptor {
  name: EngineName;
  /** The size the engine works at for a crop (the service resamples to it and back). */
  workingSize(crop: Size): Size;
  /** Health before the worker has reported (starting, restarting): `why` is what the worker is doing. */
  placeholder(setup: { modelDir: string | null }, why: string): EngineStatus;
  /** `auto` tries engines by ascending priority and takes the first whose state is one of `autoStates`. */
  autoPriority: number;
  autoStates: ReadonlySet<EngineStatus['state']>;
  /** The engine an empty prompt goes to under `emptyPrompt: 'remove'` (a content-aware fill). */
  removesObjects: boolean;
}

export function unavailableStatus(name: EngineName, reason: string, state: EngineStatus['state'] = 'unavailable'): EngineStatus {
  return { name, state, model: null, provider: null, dtype: null, reason };
}

const DESCRIPTORS: Record<EngineName, Omit<EngineDescriptor, 'name'>> = {
  sdxl: {
    workingSize: (crop) => pickWorkingSize(crop),
    placeholder: ({ modelDir }, why) => (modelDir ? unavailableStatus('sdxl', why, 'loading') : unavailableStatus('sdxl', missingModelHelp())),
    // Only once loaded: a job should not wait minutes for SDXL when the classic fill can run now.
    autoPriority: 0,
    autoStates: new Set(['ready']),
    removesObjects: false,
  },
  classic: {
    workingSize: (crop) => transferSize(crop, CLASSIC_MAX_PIXELS),
    placeholder: (_setup, why) => unavailableStatus('classic', why, 'loading'),
    autoPriority: 1,
    // It loads in milliseconds, so a job may wait for it.
    autoStates: new Set(['ready', 'loading']),
    removesObjects: true,
  },
};

/** Every engine, in `auto`'s order. */
export const ENGINES: readonly EngineDescriptor[] = (Object.entries(DESCRIPTORS) as [EngineName, Omit<EngineDescriptor, 'name'>][])
  .map(([name, descriptor]) => ({ name, ...descriptor }))
  .sort((a, b) => a.autoPriority - b.autoPriority);

export function engineDescriptor(name: EngineName): EngineDescriptor {
  return ENGINES.find((engine) => engine.name === name)!;
}
