/**
 * Tuning of the classic fill. Chosen so a 512² hole in a 1024² crop fills in 1.2–1.9 s on one core, by texture (target ≤ 2 s,
 * see bench/classic.bench.ts) with stripes and checkerboards continued exactly; the comments say what each knob trades.
 */
export interface ClassicSettings {
  /**
   * Patches are (2r+1)² pixels. Large patches at the coarse levels carry structure (stripes, edges) across the
   * hole without phase jumps; 5 → 11×11.
   */
  patchRadius: number;
  /** Patch radius at the finest level, which only refines detail and costs as much as all others together. */
  finestPatchRadius: number;
  /** Pyramid depth: go coarser until the hole's inner radius (pixels to the nearest known pixel) is at most this. */
  coarsestHoleRadius: number;
  /** A level is only used when it still holds this many valid source patches. */
  minSources: number;
  /** EM iterations (search + vote) at the coarsest level; they decrease linearly towards the level next to the finest. */
  coarsestIterations: number;
  /** EM iterations at the level next to the finest (a quarter of the finest's cost each). */
  nearFinestIterations: number;
  /** EM iterations at the finest level, the expensive one. */
  finestIterations: number;
  /** Random-search window (pixels) at the finest level, where the upsampled field is already close. */
  finestSearchRadius: number;
  /** Vote weights exp(−d / 2σ²) with σ² this percentile of the level's patch distances (Wexler et al. use 75 %). */
  weightPercentile: number;
  /**
   * The fill sees the hole's bounds grown by the hole's longer side, and by at least this many pixels (fill-region.ts):
   * enough context for the coarse levels of a small hole, without planning the whole crop for it.
   */
  minContextMargin: number;
}

export const DEFAULT_CLASSIC_SETTINGS: ClassicSettings = {
  patchRadius: 5,
  finestPatchRadius: 3,
  coarsestHoleRadius: 3,
  minSources: 16,
  coarsestIterations: 12,
  nearFinestIterations: 4,
  finestIterations: 1,
  finestSearchRadius: 16,
  weightPercentile: 0.75,
  minContextMargin: 64,
};
