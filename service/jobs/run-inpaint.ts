/**
 * One inpainting run from validated crop inputs to composited results — shared by the job queue (HTTP) and the
 * `genfill inpaint` command: 1. resample to the working size, 2. run the engine in the worker, 3. bring each result
 * back to the crop size and composite it.
 */
import type { Size } from '../../core/geometry';
import type { EngineName } from '../../core/params';
import { EngineError } from '../errors';
import type { EngineOutput, EngineProgress } from '../engine-io';
import type { CancelFlag } from '../worker/cancel-flag';
import type { EngineRunner } from '../worker/engine-host';
import type { CropInputs } from './inputs';
import type { ResolvedParams } from './params';
import { compositeResult, maskBounds, prepareEngineJob, type ResultImage } from './region';

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
  const output = await runner.run(engine, job, { cancel: hooks.cancel, onProgress: hooks.onProgress });
  checkOutput(output, { ...workingSize, count: job.seeds.length });
  const engineMs = performance.now() - mark;

  // 3. Back to the crop size, composited over the original.
  mark = performance.now();
  const bounds = maskBounds(inputs.mask);
  if (!bounds) throw new EngineError('the mask is empty');
  const results: ResultImage[] = [];
  for (const image of output.images) results.push(await compositeResult(image, inputs, bounds));
  const finish = performance.now() - mark;

  return { results, warnings: output.warnings, workingSize, timings: { prepare, engine: engineMs, finish } };
}
