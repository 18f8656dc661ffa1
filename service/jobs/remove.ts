/**
 * Removal with a model (the recipe Krita AI Diffusion and others use): the classic fill first fills the hole from
 * the surroundings, then SDXL repaints it at a moderate strength with a neutral prompt. The prefill gives SDXL a
 * plausible start (no "paste a neighbouring object" from an empty hole, no grey bubble); the repaint makes it
 * coherent, and each variation's own noise makes them differ. Without a model the classic fill alone answers
 * (engine-choice.ts). Runs in the engine worker, between the resampling and the composite (region.ts).
 */
import type { EngineName } from '../../core/params';
import type { EngineJob, EngineOutput, EngineRunContext } from '../engine-io';
import type { Engine } from '../engines/engine';
import { CancelledError, EngineError } from '../errors';
import { isRemoval, type EngineRequest } from './engine-choice';

/**
 * SDXL's strength over the prefill: 0.7 re-noises enough to rework the prefill's texture and seams (it runs 70 % of
 * the steps), while its layout still shows through; 1 would discard the prefill.
 */
export const REMOVE_STRENGTH = 0.7;
/** Neutral: any word would pull the fill towards it; an empty prompt lets SDXL continue the surroundings. */
export const REMOVE_PROMPT = '';

/** True when this job removes with SDXL over a classic prefill. */
export function removesWithSdxl(request: EngineRequest, engine: EngineName): boolean {
  return engine === 'sdxl' && isRemoval(request);
}

/** The strength SDXL runs this job at: a removal repaints at REMOVE_STRENGTH whatever `params.strength` says. */
export function sdxlStrength(request: EngineRequest & { strength: number }, engine: EngineName): number {
  return removesWithSdxl(request, engine) ? REMOVE_STRENGTH : request.strength;
}

/** Runs the classic prefill (one fill, the first seed), then SDXL for every variation over it. */
export async function prefillThenRepaint(classic: Engine, sdxl: Engine, job: EngineJob, context: EngineRunContext): Promise<EngineOutput> {
  let prefill: EngineOutput;
  try {
    prefill = await classic.run(
      { ...job, seeds: job.seeds.slice(0, 1) },
      {
        isCancelled: context.isCancelled,
        // The prefill prepares SDXL's steps; its previews show the hole being filled.
        onProgress: (p) => context.onProgress({ phase: 'preparing', variation: null, step: 0, steps: job.steps, ...(p.preview ? { preview: p.preview } : {}) }),
      },
    );
  } catch (error) {
    // A prefill is no result: a cancel during it keeps nothing.
    throw error instanceof CancelledError ? new CancelledError() : error;
  }
  const filled = prefill.images[0];
  if (!filled) throw new EngineError('the classic prefill returned no image');
  const repaint = await sdxl.run({ ...job, image: filled.rgb, prompt: REMOVE_PROMPT, strength: REMOVE_STRENGTH }, context);
  return { images: repaint.images, warnings: [...prefill.warnings, ...repaint.warnings] };
}
