/**
 * The part of the crop a fill works on: the hole's bounds grown by a context margin — the hole's longer side, at
 * least `minContextMargin` pixels — and clamped to the crop. Sources come from this region only: nearby context is
 * what a fill continues, and planning and filling then cost what the hole costs, not what the crop costs (a 32² hole
 * in a 1.5-megapixel crop plans and fills a 160² region).
 */
import type { Rect } from '../../../core/geometry';
import { maskBounds } from '../../../core/mask';

export function fillRegion(mask: Uint8Array, width: number, height: number, threshold: number, minContextMargin: number): Rect | null {
  const hole = maskBounds(mask, width, height, threshold);
  if (!hole) return null;
  const margin = Math.max(minContextMargin, hole.width, hole.height);
  const x0 = Math.max(0, hole.x - margin);
  const y0 = Math.max(0, hole.y - margin);
  const x1 = Math.min(width, hole.x + hole.width + margin);
  const y1 = Math.min(height, hole.y + hole.height + margin);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** The `region` of an interleaved image with `channels` bytes per pixel. */
export function cutRegion(pixels: Uint8Array, width: number, channels: number, region: Rect): Uint8Array {
  const out = new Uint8Array(region.width * region.height * channels);
  const rowBytes = region.width * channels;
  for (let y = 0; y < region.height; y++) {
    const start = ((region.y + y) * width + region.x) * channels;
    out.set(pixels.subarray(start, start + rowBytes), y * rowBytes);
  }
  return out;
}

/** A copy of the whole RGB image with `patch` (the filled region) pasted at `region`. */
export function pasteRegion(whole: Uint8Array, width: number, region: Rect, patch: Uint8Array): Uint8Array {
  const out = whole.slice();
  const rowBytes = region.width * 3;
  for (let y = 0; y < region.height; y++) out.set(patch.subarray(y * rowBytes, (y + 1) * rowBytes), ((region.y + y) * width + region.x) * 3);
  return out;
}
