/**
 * Region handling around an engine run: pick the working size for the engine, resample the crop to it (Pillow's
 * Lanczos-3, up or down), decide soft-edge denoising, and bring each result back to the crop size, colour-matched
 * (SDXL) and composited over the original by the soft mask.
 */
import { pickWorkingSize, transferSize, type Rect, type Size } from '../../core/geometry';
import { compositeByMask } from '../../core/mask';
import type { EngineName } from '../../core/params';
import type { EngineImage, EngineJob } from '../engine-io';
import { colourMatchArea, matchColours } from '../imaging/colour-match';
import type { Pixels } from '../imaging/pixels';
import { resizeLanczos, toRgb, toRgbaCopy } from '../imaging/resize';
import { isSoftSelection } from '../pipeline/soft-inpainting';
import type { CropInputs } from './inputs';
import type { ResolvedParams } from './params';
import { variationSeeds } from './params';

/** PatchMatch cost grows with the pixel count; beyond this the crop is filled downscaled, then upscaled back. */
export const CLASSIC_MAX_PIXELS = 1_500_000;

/** The size each engine works at for a given crop: SDXL's nearest bucket, classic the crop itself (capped). */
export const WORKING_SIZE: Record<EngineName, (crop: Size) => Size> = {
  sdxl: (crop) => pickWorkingSize(crop),
  classic: (crop) => transferSize(crop, CLASSIC_MAX_PIXELS),
};

/** A copy when `bytes` are the crop's own: the engine job's buffers are transferred to the worker, the crop's are kept. */
function detached(bytes: Uint8Array, crop: Pixels): Uint8Array {
  return bytes === crop.data ? bytes.slice() : bytes;
}

export async function prepareEngineJob(inputs: CropInputs, params: ResolvedParams, engine: EngineName): Promise<EngineJob> {
  const working = WORKING_SIZE[engine](inputs.image);
  // The mask is resampled as gray, soft edges and all; the engine binarises it as its model requires.
  const [image, mask] = await Promise.all([toRgb(inputs.image).then((rgb) => resizeLanczos(rgb, working)), resizeLanczos(inputs.mask, working)]);
  return {
    width: working.width,
    height: working.height,
    image: detached(image.data, inputs.image),
    mask: detached(mask.data, inputs.mask),
    prompt: params.prompt,
    negativePrompt: params.negativePrompt,
    steps: params.steps,
    guidance: params.guidance,
    guidanceRescale: params.guidanceRescale,
    strength: params.strength,
    scheduler: params.scheduler,
    seeds: variationSeeds(params.seed, params.variations),
    // Decided on the crop's own mask: resampling adds a band of soft values along every edge.
    softInpainting: engine === 'sdxl' && params.softInpainting && isSoftSelection(inputs.mask.data, inputs.mask.width, inputs.mask.height),
  };
}

export interface ResultImage {
  seed: number;
  /** RGBA at the crop size. */
  pixels: Pixels;
}

/** Bounds of the non-zero mask pixels (the only ones where generated pixels show), or null for an empty mask. */
export function maskBounds(mask: Pixels): Rect | null {
  const { width, height, data } = mask;
  let top = -1;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1;
    let last = -1;
    for (let x = 0; x < width; x++) {
      if (data[row + x] === 0) continue;
      if (first < 0) first = x;
      last = x;
    }
    if (first < 0) continue;
    if (top < 0) top = y;
    bottom = y;
    left = Math.min(left, first);
    right = Math.max(right, last);
  }
  return top < 0 ? null : { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}

/**
 * Back to the crop size, composited over the original by the soft mask: outside the mask the original bytes
 * exactly, inside generated, soft values blended. Outside the mask's bounds the result is the original, so only
 * the bounds are resampled and blended (with colour match, the ring around them too); the rest is a copy made by
 * libvips off the event loop.
 */
export async function compositeResult(
  generated: EngineImage,
  inputs: CropInputs,
  bounds: Rect,
  options: { colourMatch: boolean } = { colourMatch: false },
): Promise<ResultImage> {
  const { image, mask } = inputs;
  const { width, height } = image;
  const area = options.colourMatch ? colourMatchArea(bounds, image) : bounds;
  const [patch, out] = await Promise.all([
    resizeLanczos({ width: generated.width, height: generated.height, channels: 3, data: generated.rgb }, image, area),
    toRgbaCopy(image),
  ]);
  if (options.colourMatch) matchColours({ generated: patch.data, original: image, mask: mask.data, area });
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
