/**
 * Region handling around an engine run, inside the engine worker: resample the crop to the engine's working size
 * (lanczos3, up or down), run the engine, and bring each result back to the crop size, composited over the
 * original by the soft mask. Everything here is proportional to the crop, so none of it runs on the HTTP thread;
 * the crop arrives and the results leave as transferred buffers.
 */
import type { Rect, Size } from '../../core/geometry';
import { compositeByMask, maskBounds } from '../../core/mask';
import { EngineError, type Engine, type EngineImage, type EngineJob, type EngineOutput, type EngineRunContext, type GenerationSettings } from '../engines/engine';
import type { Pixels } from '../imaging/pixels';
import { resizeLanczos, toRgb, toRgbaCopy } from '../imaging/resize';

/** One job as the worker receives it: the crop at its own size, the engine's working size, what to generate. */
export interface RegionJob extends GenerationSettings {
  /** RGB or RGBA. */
  image: Pixels;
  /** Gray, same size as the image. */
  mask: Pixels;
  working: Size;
  /** One seed per variation. */
  seeds: number[];
}

export interface ResultImage {
  seed: number;
  /** RGBA at the crop size. */
  pixels: Pixels;
}

export interface RegionOutput {
  results: ResultImage[];
  warnings: string[];
  /** Milliseconds spent in each stage. */
  timings: { prepare: number; engine: number; finish: number };
}

/** A copy when `bytes` are the crop's own: the engine may keep or change its inputs, the composite needs the crop. */
function detached(bytes: Uint8Array, crop: Pixels): Uint8Array {
  return bytes === crop.data ? bytes.slice() : bytes;
}

/** The engine's input: the crop resampled to the working size, RGB; the mask as gray, soft edges and all. */
export async function prepareEngineJob(job: RegionJob): Promise<EngineJob> {
  const { image, mask, working, ...settings } = job;
  const [rgb, gray] = await Promise.all([toRgb(image).then((pixels) => resizeLanczos(pixels, working)), resizeLanczos(mask, working)]);
  return { ...settings, width: working.width, height: working.height, image: detached(rgb.data, image), mask: detached(gray.data, mask) };
}

/**
 * Back to the crop size, composited over the original by the soft mask: outside the mask the original bytes
 * exactly, inside generated, soft values blended. Outside the mask's bounds the result is the original, so only
 * the bounds are resampled and blended; the rest is a copy made by libvips.
 */
export async function compositeResult(generated: EngineImage, crop: { image: Pixels; mask: Pixels }, bounds: Rect): Promise<ResultImage> {
  const { image, mask } = crop;
  const { width, height } = image;
  const [patch, out] = await Promise.all([
    resizeLanczos({ width: generated.width, height: generated.height, channels: 3, data: generated.rgb }, image, bounds),
    toRgbaCopy(image),
  ]);
  const channels = image.channels === 4 ? 4 : 3;
  for (let y = bounds.y; y < bounds.y + bounds.height; y++) {
    const start = y * width + bounds.x;
    const end = start + bounds.width;
    const patchRow = (y - bounds.y) * bounds.width * 3;
    compositeByMask(
      image.data.subarray(start * channels, end * channels),
      channels,
      patch.data.subarray(patchRow, patchRow + bounds.width * 3),
      mask.data.subarray(start, end),
      out.data.subarray(start * 4, end * 4),
    );
  }
  return { seed: generated.seed, pixels: { width, height, channels: 4, data: out.data } };
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

/** 1. resample the crop to the working size, 2. run the engine, 3. bring each result back and composite it. */
export async function inpaintRegion(engine: Engine, job: RegionJob, context: EngineRunContext): Promise<RegionOutput> {
  let mark = performance.now();
  // Generated pixels show only inside the mask's bounds (non-zero values): only they are resampled and blended.
  const bounds = maskBounds(job.mask.data, job.mask.width, job.mask.height);
  if (!bounds) throw new EngineError('the mask is empty');
  const engineJob = await prepareEngineJob(job);
  const prepare = performance.now() - mark;

  mark = performance.now();
  const output = await engine.run(engineJob, context);
  checkOutput(output, { ...job.working, count: job.seeds.length });
  const engineMs = performance.now() - mark;

  mark = performance.now();
  // The libvips parts of the variations overlap on its thread pool.
  const results = await Promise.all(output.images.map((image) => compositeResult(image, job, bounds)));
  const finish = performance.now() - mark;
  return { results, warnings: output.warnings, timings: { prepare, engine: engineMs, finish } };
}
