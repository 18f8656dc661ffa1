/**
 * Region handling around an engine run, inside the engine worker: resample the crop to the engine's working size
 * (Pillow's Lanczos-3, up or down), decide soft-edge denoising, run the engine (a removal with SDXL: the classic
 * prefill first, remove.ts), and bring each result back to the crop size, colour-matched (SDXL; at the working size
 * for crops larger than it) and composited over the original by the soft mask, each with its thumbnail
 * (result-thumbnail.ts). Everything here is proportional to the crop, so none of it runs on the HTTP thread; the crop
 * arrives and the results leave as transferred buffers.
 * A cancel keeps the variations that finished.
 */
import type { Rect, Size } from '../../core/geometry';
import type { EngineName } from '../../core/params';
import { compositeByMask, maskBounds } from '../../core/mask';
import type { EngineImage, EngineJob, EngineOutput, EngineRunContext, GenerationSettings } from '../engine-io';
import type { Engine } from '../engines/engine';
import { CancelledError, EngineError } from '../errors';
import { colourMatchArea, matchColours } from '../imaging/colour-match';
import { isOpaque, type Pixels } from '../imaging/pixels';
import { resizeLanczos, toRgb, toRgbaCopy } from '../imaging/resize';
import { isSoftSelection } from '../pipeline/soft-inpainting';
import { prefillThenRepaint } from './remove';
import { thumbnailFromWorking, thumbnailOfResult } from './result-thumbnail';

/** One job as the worker receives it: the crop at its own size, the engine's working size, what to generate. */
export interface RegionJob extends GenerationSettings {
  /** RGB or RGBA. */
  image: Pixels;
  /** Gray, same size as the image. */
  mask: Pixels;
  working: Size;
  /** One seed per variation. */
  seeds: number[];
  /** Soft-edge denoising asked for (SDXL); applied when the crop's selection is soft. */
  softInpainting: boolean;
  /** Match the generated colours to the surroundings before compositing (SDXL). */
  colourMatch: boolean;
  /** A removal with SDXL: the classic fill prefills the hole, then SDXL repaints it (remove.ts). */
  prefill: boolean;
}

export interface ResultImage {
  seed: number;
  /** RGBA at the crop size. */
  pixels: Pixels;
  /** JPEG as `?format=jpeg&maxSide=THUMBNAIL_MAX_SIDE` serves it, made with the result (result-thumbnail.ts); absent: made when asked. */
  thumbnail?: Uint8Array;
}

export interface RegionOutput {
  results: ResultImage[];
  warnings: string[];
  /** True when a cancel stopped the engine: `results` are the variations that had finished. */
  cancelled: boolean;
  /** Milliseconds spent in each stage. */
  timings: { prepare: number; engine: number; finish: number };
}

/** A copy when `bytes` are the crop's own: the engine may keep or change its inputs, the composite needs the crop. */
function detached(bytes: Uint8Array, crop: Pixels): Uint8Array {
  return bytes === crop.data ? bytes.slice() : bytes;
}

/** The engine's input: the crop resampled to the working size, RGB; the mask as gray, soft edges and all. */
export async function prepareEngineJob(job: RegionJob): Promise<EngineJob> {
  const { image, mask, working, softInpainting, colourMatch: _colourMatch, prefill: _prefill, ...settings } = job;
  const [rgb, gray] = await Promise.all([toRgb(image).then((pixels) => resizeLanczos(pixels, working)), resizeLanczos(mask, working)]);
  return {
    ...settings,
    width: working.width,
    height: working.height,
    image: detached(rgb.data, image),
    mask: detached(gray.data, mask),
    // Decided on the crop's own mask: resampling adds a band of soft values along every edge.
    softInpainting: softInpainting && isSoftSelection(mask.data, mask.width, mask.height),
  };
}

/** Lanczos-3 reads 3 source pixels either side (3·scale when shrinking), plus one for the centre's rounding. */
function lanczosReach(scale: number): number {
  return Math.ceil(3 * Math.max(1, scale)) + 1;
}

/** The working-size pixels that resampling `bounds` of the crop back from the working size reads. */
export function workingFootprint(bounds: Rect, crop: Size, working: Size): Rect {
  const sx = working.width / crop.width;
  const sy = working.height / crop.height;
  const x = Math.max(0, Math.floor(bounds.x * sx) - lanczosReach(sx));
  const y = Math.max(0, Math.floor(bounds.y * sy) - lanczosReach(sy));
  const right = Math.min(working.width, Math.ceil((bounds.x + bounds.width) * sx) + lanczosReach(sx));
  const bottom = Math.min(working.height, Math.ceil((bounds.y + bounds.height) * sy) + lanczosReach(sy));
  return { x, y, width: right - x, height: bottom - y };
}

/**
 * Colour match (colour-match.ts) at the smaller of the working and the crop size, so it costs at most about a
 * working image (≈1 Mpx) however large the crop. There both images have the same resolution: at the larger size one
 * of them would be an enlargement, short of the other's fine detail, and its spread would read low. For a crop larger
 * than the working size the ring is measured on the engine's own input (the crop resampled) and the correction is
 * applied to the generated image before it is enlarged — every pixel the enlargement of the selection's bounds reads.
 * Deviation from matching at the crop size: the ring's 8–64 px width counts working pixels (so it reaches further
 * into a large crop), and the statistics see the crop's detail as resampled; on a synthetic cast
 * (test/service/region.test.ts) the two results differ by 0.3/255 on average, 2/255 at worst.
 */
function matchesAtWorkingSize(working: Size, crop: Size): boolean {
  return working.width * working.height < crop.width * crop.height;
}

/**
 * Where a job's thumbnails come from (result-thumbnail.ts), decided once per job: for a crop larger than the working
 * size, the working-size data — final there, colour match included (matchesAtWorkingSize) — unless the crop has
 * transparency, which the engine's RGB input does not carry (null: the lazy path encodes from the result, flattened
 * as it should be; 16 ms to check a 4096² crop); for other crops the result itself, no larger than a working image.
 */
function thumbnailSource(crop: Pixels, working: Size): 'working' | 'result' | null {
  if (!matchesAtWorkingSize(working, crop)) return 'result';
  return isOpaque(crop) ? 'working' : null;
}

/**
 * Back to the crop size, composited over the original by the soft mask: outside the mask the original bytes
 * exactly, inside generated, soft values blended. Outside the mask's bounds the result is the original, so only
 * the bounds are resampled and blended (with colour match at the crop size, the ring around them too); the rest is
 * a copy. `colourMatch` is the engine's input (the crop at the working size): with it the fill is colour-matched,
 * and at the working size `generated.rgb` is corrected in place.
 */
export async function compositeResult(
  generated: EngineImage,
  crop: { image: Pixels; mask: Pixels },
  bounds: Rect,
  options: { colourMatch?: Pick<EngineJob, 'image' | 'mask'> } = {},
): Promise<ResultImage> {
  const { image, mask } = crop;
  const { width, height } = image;
  const reference = options.colourMatch;
  const atWorkingSize = reference !== undefined && matchesAtWorkingSize(generated, image);
  if (reference && atWorkingSize) {
    const working = { width: generated.width, height: generated.height };
    const footprint = workingFootprint(bounds, image, working);
    matchColours(
      {
        generated: generated.rgb,
        frame: { x: 0, y: 0, ...working },
        original: { width: working.width, channels: 3, data: reference.image },
        mask: reference.mask,
        area: colourMatchArea(footprint, working),
      },
      footprint,
    );
  }
  const atCropSize = reference !== undefined && !atWorkingSize;
  const area = atCropSize ? colourMatchArea(bounds, image) : bounds;
  const [patch, out] = await Promise.all([
    resizeLanczos({ width: generated.width, height: generated.height, channels: 3, data: generated.rgb }, image, area),
    toRgbaCopy(image),
  ]);
  if (atCropSize) matchColours({ generated: patch.data, original: image, mask: mask.data, area });
  const channels = image.channels === 4 ? 4 : 3;
  for (let y = bounds.y; y < bounds.y + bounds.height; y++) {
    const start = y * width + bounds.x;
    const end = start + bounds.width;
    const patchRow = ((y - area.y) * area.width + bounds.x - area.x) * 3;
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

/** The worker's engines by name; throws an EngineError for one that cannot run. */
export type EngineLookup = (name: EngineName) => Engine;

/** Step 3 for every generated image: its composite at the crop size, then its thumbnail (`bounds`: the crop mask's). */
export async function finishResults(images: EngineImage[], job: RegionJob, engineJob: EngineJob, bounds: Rect): Promise<ResultImage[]> {
  const thumbnails = thumbnailSource(job.image, job.working);
  const workingBounds = thumbnails === 'working' ? maskBounds(engineJob.mask, engineJob.width, engineJob.height) : null;
  // The libvips parts of the variations overlap on its thread pool.
  return Promise.all(
    images.map(async (image): Promise<ResultImage> => {
      const result = await compositeResult(image, job, bounds, job.colourMatch ? { colourMatch: engineJob } : {});
      if (thumbnails === null) return result;
      // After the composite: with colour match at the working size, `image` has just been corrected in place.
      const thumbnail = thumbnails === 'working' ? await thumbnailFromWorking(image, engineJob, workingBounds, job.image) : await thumbnailOfResult(result.pixels);
      return { ...result, thumbnail };
    }),
  );
}

/** 1. resample the crop to the working size, 2. run the engine, 3. bring each result back and composite it. */
export async function inpaintRegion(engines: EngineLookup, engine: EngineName, job: RegionJob, context: EngineRunContext): Promise<RegionOutput> {
  let mark = performance.now();
  // Generated pixels show only inside the mask's bounds (non-zero values): only they are resampled and blended.
  const bounds = maskBounds(job.mask.data, job.mask.width, job.mask.height);
  if (!bounds) throw new EngineError('the mask is empty');
  const engineJob = await prepareEngineJob(job);
  const prepare = performance.now() - mark;

  mark = performance.now();
  let output: EngineOutput;
  let cancelled = false;
  try {
    output = job.prefill ? await prefillThenRepaint(engines('classic'), engines(engine), engineJob, context) : await engines(engine).run(engineJob, context);
    checkOutput(output, { ...job.working, count: job.seeds.length });
  } catch (error) {
    if (!(error instanceof CancelledError) || error.finished.length === 0) throw error;
    output = { images: error.finished, warnings: [] };
    checkOutput(output, { ...job.working, count: error.finished.length });
    cancelled = true;
  }
  const engineMs = performance.now() - mark;

  mark = performance.now();
  const results = await finishResults(output.images, job, engineJob, bounds);
  const finish = performance.now() - mark;
  return { results, warnings: output.warnings, cancelled, timings: { prepare, engine: engineMs, finish } };
}
