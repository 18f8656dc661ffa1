/**
 * One inpainting run from validated crop inputs to composited results — shared by the job queue (HTTP) and the
 * `genfill inpaint` command. The main thread only picks the working size and hands the crop to the engine worker,
 * which resamples, runs the engine (a removal with SDXL: the classic prefill, then SDXL) and composites, colour-
 * matched (jobs/region.ts); the crop's buffers move there and the results' come back, without copies. A cancel keeps
 * the variations that finished.
 */
import type { Size } from '../../core/geometry';
import type { EngineName } from '../../core/params';
import type { EngineProgress } from '../engine-io';
import { engineDescriptor } from '../engines/descriptors';
import type { CancelFlag } from '../worker/cancel-flag';
import type { EngineRunner } from '../worker/engine-host';
import type { CropInputs } from './inputs';
import type { ResolvedParams } from './params';
import { variationSeeds } from './params';
import type { RegionJob, RegionOutput } from './region';
import { removesWithSdxl } from './remove';

export interface InpaintHooks {
  cancel: CancelFlag;
  onProgress(progress: EngineProgress): void;
  /** Called once the working size is known, before the engine starts. */
  onWorkingSize?(size: Size): void;
}

export interface InpaintOutcome extends RegionOutput {
  workingSize: Size;
}

/** The worker's job for a crop; `inputs`' pixel buffers go with it (the caller does not use them afterwards). */
export function regionJob(inputs: CropInputs, params: ResolvedParams, engine: EngineName): RegionJob {
  return {
    image: inputs.image,
    mask: inputs.mask,
    working: engineDescriptor(engine).workingSize(inputs.image),
    prompt: params.prompt,
    negativePrompt: params.negativePrompt,
    steps: params.steps,
    guidance: params.guidance,
    guidanceRescale: params.guidanceRescale,
    strength: params.strength,
    scheduler: params.scheduler,
    seeds: variationSeeds(params.seed, params.variations),
    softInpainting: engine === 'sdxl' && params.softInpainting,
    // The classic fill copies the crop's own pixels: there is no cast to match.
    colourMatch: engine === 'sdxl' && params.colorMatch,
    prefill: removesWithSdxl(params, engine),
  };
}

export async function runInpaint(
  runner: EngineRunner,
  engine: EngineName,
  inputs: CropInputs,
  params: ResolvedParams,
  hooks: InpaintHooks,
): Promise<InpaintOutcome> {
  const job = regionJob(inputs, params, engine);
  hooks.onWorkingSize?.(job.working);
  const output = await runner.run(engine, job, { cancel: hooks.cancel, onProgress: hooks.onProgress });
  return { ...output, workingSize: job.working };
}
