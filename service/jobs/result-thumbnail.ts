/**
 * Each result's thumbnail — what the panel asks for with `?format=jpeg&maxSide=THUMBNAIL_MAX_SIDE` — made once in the
 * engine worker right after the result's composite (region.ts), so serving it encodes nothing (result-encodings.ts).
 *
 * For a crop larger than the working size it is made from the working-size data the worker already has — the
 * engine's input, the generated image (colour-matched there, in place, for exactly these crops) and the soft mask
 * the composite blends by, resampled — composited by the crop composite's rule, then scaled by libvips: about a
 * working image (≈1 Mpx) of work instead of shrinking the whole crop (at 1024², 8–10 ms per result here, against
 * ~110 ms for libvips to shrink a 4096² result). For other crops the result is itself at most a working image, and
 * its thumbnail is made from it exactly as the lazy path would.
 */
import type { Rect, Size } from '../../core/geometry';
import { compositeByMask } from '../../core/mask';
import { THUMBNAIL_MAX_SIDE } from '../../core/protocol';
import type { EngineImage, EngineJob } from '../engine-io';
import { encodeForDisplay, encodeJpegAt } from '../imaging/codec';
import { movableCopy, type Pixels } from '../imaging/pixels';

/** The size `encodeForDisplay` scales `size` to for `maxSide`: longest side `maxSide`, aspect kept, never enlarged. */
export function thumbnailSize(size: Size, maxSide: number = THUMBNAIL_MAX_SIDE): Size {
  const longest = Math.max(size.width, size.height);
  if (longest <= maxSide) return { width: size.width, height: size.height };
  const scale = maxSide / longest;
  return size.width >= size.height
    ? { width: maxSide, height: Math.max(1, Math.round(size.height * scale)) }
    : { width: Math.max(1, Math.round(size.width * scale)), height: maxSide };
}

/** The thumbnail of a result at most about a working image in size: from the result itself, as the lazy path makes it. */
export async function thumbnailOfResult(result: Pixels): Promise<Uint8Array> {
  return movableCopy(await encodeForDisplay(result, 'jpeg', THUMBNAIL_MAX_SIDE));
}

/**
 * `generated` over the engine's input by the engine job's mask, as RGB (an alpha channel would triple libvips' cost
 * of the resize, and the input is opaque): the input outside `bounds` (the mask's, at the working size), within them
 * compositeByMask's blend — the crop composite's rule — a row at a time.
 */
function compositeAtWorkingSize(generated: EngineImage, engineInput: Pick<EngineJob, 'image' | 'mask'>, bounds: Rect | null): Uint8Array {
  const out = engineInput.image.slice();
  if (!bounds) return out;
  const row = new Uint8Array(bounds.width * 4);
  for (let y = bounds.y; y < bounds.y + bounds.height; y++) {
    const start = y * generated.width + bounds.x;
    const end = start + bounds.width;
    compositeByMask(engineInput.image.subarray(start * 3, end * 3), 3, generated.rgb.subarray(start * 3, end * 3), engineInput.mask.subarray(start, end), row);
    for (let i = 0, o = start * 3; i < row.length; i += 4, o += 3) {
      out[o] = row[i];
      out[o + 1] = row[i + 1];
      out[o + 2] = row[i + 2];
    }
  }
  return out;
}

/**
 * The thumbnail of the result for a crop of `crop`'s size from the working-size data: the engine's input (RGB; the
 * crop must be opaque, as its alpha is not at the working size) and `generated` composited by the engine job's soft
 * mask — the Lanczos-3 resample of the crop's soft mask, so edges blend as in the crop composite; `bounds` are its
 * non-zero pixels' — then resized to the thumbnail size. Each axis is scaled as the crop's own is (a working size is
 * an SDXL bucket, near the crop's aspect but not always exactly it), so the picture is the result's. It may differ
 * slightly from a downscale of the full result, never in what it shows: there the crop is resampled to the working
 * size and back before the blend, here the blend happens at the working size and one downscale follows, so the two
 * resampling orders round fine detail and edges differently (test/service/result-thumbnail.test.ts: about 0.3–0.6
 * levels of 255 per channel on average before JPEG, 1.1–1.6 after the two encodes).
 */
export async function thumbnailFromWorking(
  generated: EngineImage,
  engineInput: Pick<EngineJob, 'image' | 'mask'>,
  bounds: Rect | null,
  crop: Size,
): Promise<Uint8Array> {
  const rgb = compositeAtWorkingSize(generated, engineInput, bounds);
  return movableCopy(await encodeJpegAt({ width: generated.width, height: generated.height, channels: 3, data: rgb }, thumbnailSize(crop)));
}
