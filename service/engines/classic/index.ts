/**
 * The `classic` engine: exemplar-based content-aware fill (PatchMatch search + Wexler voting over a pyramid), for
 * machines without the SDXL model or a GPU. It fills from the crop's own pixels, so the prompt, guidance, scheduler
 * and the other diffusion parameters are ignored; only the image, the mask and the seeds matter.
 *
 * Mask rule: pixels with mask ≥ 128 (the same threshold diffusers binarises at) are filled; every other pixel is
 * returned byte for byte and is a candidate source (patches touching a filled pixel never are). Soft edges below
 * 128 are left to the service's final composite by the soft mask.
 */
import { setImmediate } from 'node:timers/promises';
import { BINARIZE_THRESHOLD } from '../../../core/mask';
import type { EngineStatus } from '../../../core/protocol';
import { CancelledError, EngineError } from '../../errors';
import type { EngineImage, EngineJob, EngineOutput, EngineProgress, EngineRunContext } from '../../engine-io';
import type { Engine } from '../engine';
import { fillVariation } from './fill';
import { planFill } from './plan';
import { levelPreview } from './preview';
import { DEFAULT_CLASSIC_SETTINGS } from './settings';
import type { ClassicSettings } from './settings';

export { DEFAULT_CLASSIC_SETTINGS } from './settings';
export type { ClassicSettings } from './settings';

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
      const images: EngineImage[] = [];
      // A cancel keeps the variations already filled.
      const checkCancelled = (): void => {
        if (context.isCancelled()) throw new CancelledError(images);
      };
      checkCancelled();
      const plan = planFill(job.image, job.mask, BINARIZE_THRESHOLD, job.width, job.height, settings);
      for (let variation = 0; variation < job.seeds.length; variation++) {
        const seed = job.seeds[variation];
        const rgb = await fillVariation(plan, seed, {
          checkCancelled,
          async afterStep(step, level) {
            const progress: EngineProgress = { phase: 'denoising', unit: 'pass', variation, step, steps: plan.steps };
            const preview = level ? levelPreview(level.image, level.width, level.height) : undefined;
            if (preview) progress.preview = preview;
            context.onProgress(progress);
            // Let a cancel message reach the worker between iterations, then honour it.
            await setImmediate();
            checkCancelled();
          },
        });
        images.push({ seed, width: job.width, height: job.height, rgb });
      }
      return { images, warnings: plan.warnings };
    },
    async dispose(): Promise<void> {
      disposed = true;
    },
  };
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
