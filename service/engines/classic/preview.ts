/**
 * Progress previews for free: each coarse pyramid level is the whole crop, downsampled, with the fill so far, so
 * the level itself is the preview as long as it is small. Finer levels send none (the size would defeat a preview).
 */
import type { EnginePreview } from '../../engine-io';

/** Largest preview side, in pixels ("a few hundred pixels a side"). */
export const PREVIEW_MAX_SIDE = 384;

export function levelPreview(image: Float32Array, width: number, height: number): EnginePreview | undefined {
  if (Math.max(width, height) > PREVIEW_MAX_SIDE) return undefined;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < rgb.length; i++) {
    const v = Math.round(image[i]);
    rgb[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return { width, height, rgb };
}
