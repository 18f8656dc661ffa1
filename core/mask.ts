/**
 * Mask arithmetic on typed arrays, shared by the service (UNet mask, final composite) and the panel.
 * Masks are 8-bit gray, one byte per pixel, 255 = fill.
 */
import type { Rect } from './geometry';

/** diffusers binarises the resized mask at 0.5: an 8-bit value ≥ 128 becomes 1. */
export const BINARIZE_THRESHOLD = 128;

export function binarizeMask(mask: Uint8Array, out: Uint8Array = new Uint8Array(mask.length)): Uint8Array {
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] >= BINARIZE_THRESHOLD ? 255 : 0;
  return out;
}

/** Bounds of the pixels with mask ≥ `threshold` (1: every non-zero pixel), or null when there is none. */
export function maskBounds(mask: Uint8Array, width: number, height: number, threshold = 1): Rect | null {
  let top = -1;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1;
    let last = -1;
    for (let x = 0; x < width; x++) {
      if (mask[row + x] < threshold) continue;
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

export function countMasked(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) n++;
  return n;
}

/**
 * Composite generated pixels over the original by the soft mask: where mask = 0 the original bytes are returned
 * exactly; where 255 the generated ones; in between a linear blend. `original` is RGB or RGBA (channels 3|4),
 * `generated` RGB, output RGBA; alpha blends the original alpha (255 for RGB) toward opaque.
 */
export function compositeByMask(
  original: Uint8Array,
  originalChannels: 3 | 4,
  generated: Uint8Array,
  mask: Uint8Array,
  out: Uint8Array = new Uint8Array(mask.length * 4),
): Uint8Array {
  const pixels = mask.length;
  for (let p = 0, o = 0, g = 0, d = 0; p < pixels; p++, o += originalChannels, g += 3, d += 4) {
    const m = mask[p];
    const alpha = originalChannels === 4 ? original[o + 3] : 255;
    if (m === 0) {
      out[d] = original[o];
      out[d + 1] = original[o + 1];
      out[d + 2] = original[o + 2];
      out[d + 3] = alpha;
    } else if (m === 255) {
      out[d] = generated[g];
      out[d + 1] = generated[g + 1];
      out[d + 2] = generated[g + 2];
      out[d + 3] = 255;
    } else {
      const a = m / 255;
      const b = 1 - a;
      out[d] = Math.round(generated[g] * a + original[o] * b);
      out[d + 1] = Math.round(generated[g + 1] * a + original[o + 1] * b);
      out[d + 2] = Math.round(generated[g + 2] * a + original[o + 2] * b);
      out[d + 3] = Math.round(255 * a + alpha * b);
    }
  }
  return out;
}
