/**
 * Tuning of the classic fill. Chosen so a 512² hole in a 1024² crop fills in about 2 s on one core
 * (see bench/classic.bench.ts); the comments say what each knob trades.
 */
export interface ClassicSettings {
  /** Patches are (2r+1)² pixels; 3 → 7×7, the usual PatchMatch/Wexler size. */
  patchRadius: number;
  /** Pyramid depth: go coarser until the hole's inner radius (pixels to the nearest known pixel) is at most this. */
  coarsestHoleRadius: number;
  /** A level is only used when it still holds this many valid source patches. */
  minSources: number;
  /** EM iterations (search + vote) at the coarsest level; they decrease linearly towards the finest. */
  coarsestIterations: number;
  /** EM iterations at the finest level, the expensive one. */
  finestIterations: number;
  /** Random-search window (pixels) at the finest level, where the upsampled field is already close. */
  finestSearchRadius: number;
  /** Vote weights exp(−d / 2σ²) with σ² this percentile of the level's patch distances (Wexler et al. use 75 %). */
  weightPercentile: number;
}

export const DEFAULT_CLASSIC_SETTINGS: ClassicSettings = {
  patchRadius: 3,
  coarsestHoleRadius: 3,
  minSources: 16,
  coarsestIterations: 12,
  finestIterations: 2,
  finestSearchRadius: 16,
  weightPercentile: 0.75,
};
