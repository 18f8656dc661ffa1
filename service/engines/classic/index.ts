/**
 * The `classic` engine: exemplar-based content-aware fill (PatchMatch search + Wexler voting over a pyramid), for
 * machines without the SDXL model or a GPU. It fills from the crop's own pixels, so the prompt, guidance, scheduler
 * and the other diffusion parameters are ignored; only the image, the mask and the seeds matter.
 *
 * Mask rule: pixels with mask ≥ 128 (the same threshold diffusers binarises at) are filled; every other pixel is
 * returned byte for byte, and a candidate source (patches touching a filled pixel never are) within the fill region
 * — the hole's bounds and their context (fill-region.ts). Soft edges below 128 are left to the service's final
 * composite by the soft mask.
 */
import { setImmediate } from 'node:timers/promises';
import { BINARIZE_THRESHOLD } from '../../../core/mask';
import type { EngineStatus } from '../../../core/protocol';
import type { EngineImage, EngineJob, EngineOutput, EngineProgress, EngineRunContext } from '../../engine-io';
import { CancelledError, EngineError } from '../../errors';
import type { Engine } from '../engine';
import { fillVariation } from './fill';
import { cutRegion, fillRegion, pasteRegion } from './fill-region';
import { planFill } from './plan';
import { levelPreview } from './preview';
import { DEFAULT_CLASSIC_SETTINGS } from './settings';
import type { ClassicSettings } from './settings';
import { VariationPool } from './variation-pool';

export { DEFAULT_CLASSIC_SETTINGS } from './settings';
export type { ClassicSettings } from './settings';

/** Shared by every classic engine of the thread: the pool's threads start once and idle without holding the process. */
let pool: VariationPool | null = null;

export function createClassicEngine(settings: ClassicSettings = DEFAULT_CLASSIC_SETTINGS): Engine {
  let disposed = false;
  return {
    name: 'classic',
    status(): EngineStatus {
      return { name: 'classic', state: 'ready', model: 'patchmatch', provider: 'cpu', dtype: null, reason: null };
    },
    async run(job: EngineJob, context: EngineRunContext): Promise<EngineOutput> {
      if (disposed) throw new EngineError('classic engine: used after dispose()');
      checkJob(job);
      if (context.isCancelled()) throw new CancelledError();
      // Only the hole and its context are filled (previews show that region); the rest is the input, pasted around.
      const region = fillRegion(job.mask, job.width, job.height, BINARIZE_THRESHOLD, settings.minContextMargin);
      if (region === null || (region.width === job.width && region.height === job.height)) return fillAll(job, context, settings);
      const part: EngineJob = {
        ...job,
        width: region.width,
        height: region.height,
        image: cutRegion(job.image, job.width, 3, region),
        mask: cutRegion(job.mask, job.width, 1, region),
      };
      const whole = (images: EngineImage[]) =>
        images.map((image) => ({ ...image, width: job.width, height: job.height, rgb: pasteRegion(job.image, job.width, region, image.rgb) }));
      try {
        const output = await fillAll(part, context, settings);
        return { images: whole(output.images), warnings: output.warnings };
      } catch (error) {
        // A cancel keeps the variations already filled, at the crop's size like the others.
        throw error instanceof CancelledError ? new CancelledError(whole(error.finished)) : error;
      }
    },
    async dispose(): Promise<void> {
      disposed = true;
      await pool?.close();
    },
  };
}

/** Every seed of `job`: several on the variation pool, in parallel; one here, without a thread to start. */
async function fillAll(job: EngineJob, context: EngineRunContext, settings: ClassicSettings): Promise<EngineOutput> {
  if (job.seeds.length > 1) {
    pool ??= new VariationPool();
    const { image, mask, width, height, seeds } = job;
    return pool.run({ image, mask, width, height, seeds, threshold: BINARIZE_THRESHOLD, settings }, context);
  }
  const checkCancelled = (): void => {
    if (context.isCancelled()) throw new CancelledError();
  };
  const plan = planFill(job.image, job.mask, BINARIZE_THRESHOLD, job.width, job.height, settings);
  const [seed] = job.seeds;
  const rgb = await fillVariation(plan, seed, {
    checkCancelled,
    async afterStep(step, level) {
      const progress: EngineProgress = { phase: 'denoising', unit: 'pass', variation: 0, step, steps: plan.steps };
      const preview = level ? levelPreview(level.image, level.width, level.height) : undefined;
      if (preview) progress.preview = preview;
      context.onProgress(progress);
      // Let a cancel message reach the worker between iterations, then honour it.
      await setImmediate();
      checkCancelled();
    },
  });
  return { images: [{ seed, width: job.width, height: job.height, rgb }], warnings: plan.warnings };
}

function checkJob(job: EngineJob): void {
  const { width, height } = job;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new EngineError(`classic engine: size ${width}×${height} is not a positive integer size`);
  }
  if (job.image.length !== width * height * 3) {
    throw new EngineError(`classic engine: image has ${job.image.length} bytes, expected ${width}·${height}·3 = ${width * height * 3} (RGB)`);
  }
  if (job.mask.length !== width * height) {
    throw new EngineError(`classic engine: mask has ${job.mask.length} bytes, expected ${width}·${height} = ${width * height} (gray)`);
  }
  if (job.seeds.length === 0) throw new EngineError('classic engine: no seeds, so no variation to fill');
}
