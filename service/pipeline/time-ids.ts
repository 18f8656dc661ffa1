/**
 * SDXL micro-conditioning (spec §3). Sizes are (height, width) — swapping them is a silent quality bug. genfill
 * always conditions on the working size with no crop, for the negative row as well.
 */

/** diffusers' defaults for refiner-style models (requires_aesthetics_score). */
const AESTHETIC_SCORE = 6.0;
const NEGATIVE_AESTHETIC_SCORE = 2.5;

export interface TimeIds {
  positive: Float32Array;
  negative: Float32Array;
}

export function buildTimeIds(height: number, width: number, requiresAestheticsScore: boolean): TimeIds {
  if (requiresAestheticsScore) {
    return {
      positive: Float32Array.of(height, width, 0, 0, AESTHETIC_SCORE),
      negative: Float32Array.of(height, width, 0, 0, NEGATIVE_AESTHETIC_SCORE),
    };
  }
  const ids = Float32Array.of(height, width, 0, 0, height, width);
  return { positive: ids, negative: ids.slice() };
}
