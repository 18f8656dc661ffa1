/**
 * One inpainting run from validated crop inputs to composited results — shared by the job queue (HTTP) and the
 * `genfill inpaint` command: 1. resample to the working size, 2. run the engine in the worker (a removal with SDXL:
 * the classic prefill, then SDXL), 3. bring each result back to the crop size, colour-matched, and composite it.
 * A cancel keeps the variations that finished.
 */
import type { Size } from '../../core/geometry';
import type { EngineName } from '../../core/params';
import { CancelledError, EngineError } from '../errors';
import type { EngineOutput, EngineProgress } from '../engine-io';
import type { CancelFlag } from '../worker/cancel-flag';
import type { EngineRunner } from '../worker/engine-host';
import type { CropInputs } from './inputs';
import type { ResolvedParams } from './params';
import { compositeResult, maskBounds, prepareEngineJob, type ResultImage } from './region';
import { prefillThenRepaint, removesWithSdxl } from './remove';

export interface InpaintHooks {
  cancel: CancelFlag;
  onProgress(progress: EngineProgress): void;
  /** Called once the working size is known, before the engine starts. */
  onWorkingSize?(size: Size): void;
}

export interface InpaintOutcome {
  results: ResultImage[];
  warnings: string[];
  workingSize: Size;
  /** True when a cancel stopped the engine: `results` are the variations that had finished. */
  cancelled: boolean;
  /** Milliseconds spent in each stage. */
  timings: { prepare: number; engine: number; finish: number };
}

function checkOutput(output: EngineOutput, expected: { width: number; height: number; count: number }): void {
  if (output.images.length !== expected.count) {
    throw new EngineError(`the engine returned ${output.images.length} images for ${expected.count} variations`);
  }
  for (const image of output.images) {
    if (image.width !== expected.width || image.height !== expected.height || image.rgb.length !== image.width * image.height * 3) {
      throw new EngineError(
        `the engine returned a ${image.width}×${image.height} image (${image.rgb.length} bytes) for a ${expected.width}×${expected.height} working size`,
      );
    }
  }
}

export async function runInpaint(
  runner: EngineRunner,
  engine: EngineName,
  inputs: CropInputs,
  params: ResolvedParams,
  hooks: InpaintHooks,
): Promise<InpaintOutcome> {
  // 1. Resample the crop to the engine's working size.
  let mark = performance.now();
  const job = await prepareEngineJob(inputs, params, engine);
  const workingSize = { width: job.width, height: job.height };
  hooks.onWorkingSize?.(workingSize);
  const prepare = performance.now() - mark;

  // 2. Run the engine in the worker thread.
  mark = performance.now();
  const options = { cancel: hooks.cancel, onProgress: hooks.onProgress };
  let output: EngineOutput;
  let cancelled = false;
  try {
    output = removesWithSdxl(params, engine) ? await prefillThenRepaint(runner, job, options) : await runner.run(engine, job, options);
    checkOutput(output, { ...workingSize, count: job.seeds.length });
  } catch (error) {
    if (!(error instanceof CancelledError) || error.finished.length === 0) throw error;
    output = { images: error.finished, warnings: [] };
    checkOutput(output, { ...workingSize, count: error.finished.length });
    cancelled = true;
  }
  const engineMs = performance.now() - mark;

  // 3. Back to the crop size, composited over the original.
  mark = performance.now();
  const bounds = maskBounds(inputs.mask);
  if (!bounds) throw new EngineError('the mask is empty');
  const results: ResultImage[] = [];
  // The classic fill copies the crop's own pixels: there is no cast to match.
  const colourMatch = params.colorMatch && engine === 'sdxl';
  for (const image of output.images) results.push(await compositeResult(image, inputs, bounds, { colourMatch }));
  const finish = performance.now() - mark;

  return { results, warnings: output.warnings, workingSize, cancelled, timings: { prepare, engine: engineMs, finish } };
}
