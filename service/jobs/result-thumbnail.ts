/**
 * Each result's thumbnail — what the panel asks for with `?format=jpeg&maxSide=THUMBNAIL_MAX_SIDE` — made once in the
 * engine worker right after the result's composite (region.ts), so serving it encodes nothing (result-encodings.ts).
 *
 * For a crop larger than the working size it is made from the working-size data the worker already has — the
 * engine's input, the generated image (colour-matched there, in place, for exactly these crops) and the soft mask
 * the composite blends by, resampled — composited by the crop composite's rule, then scaled by libvips: about a
 * working image (≈1 Mpx) of work instead of shrinking the whole crop (a 4096² crop: ~105 ms per result). For other
 * crops the result is itself at most a working image, and its thumbnail is made from it as the lazy path would.
 */
import type { Size } from '../../core/geometry';
import { compositeByMask } from '../../core/mask';
import { THUMBNAIL_MAX_SIDE } from '../../core/protocol';
import type { EngineImage, EngineJob } from '../engine-io';
import { encodeForDisplay, encodeJpegAt } from '../imaging/codec';
import type { Pixels } from '../imaging/pixels';

/** The size `encodeForDisplay` scales `size` to for `maxSide`: longest side `maxSide`, aspect kept, never enlarged. */
export function thumbnailSize(size: Size, maxSide: number = THUMBNAIL_MAX_SIDE): Size {
  const longest = Math.max(size.width, size.height);
  if (longest <= maxSide) return { width: size.width, height: size.height };
  const scale = maxSide / longest;
  return size.width >= size.height
    ? { width: maxSide, height: Math.max(1, Math.round(size.height * scale)) }
    : { width: Math.max(1, Math.round(size.width * scale)), height: maxSide };
}

/** A standalone copy: sharp's buffers cannot be transferred between threads, a few KB are copied at no cost. */
function owned(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes);
}

/** The thumbnail of a result at most about a working image in size: from the result itself, as the lazy path makes it. */
export async function thumbnailOfResult(result: Pixels): Promise<Uint8Array> {
  return owned(await encodeForDisplay(result, 'jpeg', THUMBNAIL_MAX_SIDE));
}

/**
 * The thumbnail of the result for a crop of `crop`'s size from the working-size data: the engine's input (RGB; the
 * crop must be opaque, as its alpha is not at the working size) and `generated` composited by the engine job's soft
 * mask — the Lanczos-3 resample of the crop's soft mask, so edges blend as in the crop composite — then resized to
 * the thumbnail size. Each axis is scaled as the crop's own is (working sizes are an SDXL bucket, near the crop's
 * aspect but not always exactly it), so the picture is the result's. It may differ slightly from a downscale of the
 * full result, never in what it shows: there the crop is resampled to the working size and back before the blend,
 * here the blend happens at the working size and only one downscale follows, so the two resampling orders round
 * edges differently (measured in test/service/result-thumbnail.test.ts: under a level per channel on average).
 */
export async function thumbnailFromWorking(generated: EngineImage, engineInput: Pick<EngineJob, 'image' | 'mask'>, crop: Size): Promise<Uint8Array> {
  const { width, height } = generated;
  const composite = compositeByMask(engineInput.image, 3, generated.rgb, engineInput.mask);
  return owned(await encodeJpegAt({ width, height, channels: 4, data: composite }, thumbnailSize(crop)));
}
