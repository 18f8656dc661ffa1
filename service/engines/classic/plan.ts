/**
 * Everything about a fill that does not depend on the seed, computed once per job and shared by all variations:
 * the hole, the pyramid, the patch centres per level and the iteration schedule.
 */
import { holeDistance } from './hole-distance';
import type { HoleDistance } from './hole-distance';
import { classifyPatchCentres } from './patch-centres';
import type { PatchCentres } from './patch-centres';
import { downsampleLevel, levelFromBytes } from './pyramid';
import type { PyramidLevel } from './pyramid';
import type { ClassicSettings } from './settings';

export interface PlannedLevel extends PyramidLevel {
  /** Patches at this level are (2r+1)² pixels. */
  patchRadius: number;
  centres: PatchCentres;
  /** Hole pixel indices, scan order. */
  holePixels: Int32Array;
  /** EM iterations (search + vote) at this level. */
  iterations: number;
  /** Random-search window half-width at this level. */
  searchRadius: number;
}

/**
 * - `unchanged`: nothing to fill (empty mask) or nothing to fill from (the mask covers everything).
 * - `smooth`: no hole-free patch exists anywhere, so only the onion-peel fill is possible.
 * - `patchmatch`: the real thing.
 */
export type FillKind = 'unchanged' | 'smooth' | 'patchmatch';

export interface FillPlan {
  kind: FillKind;
  width: number;
  height: number;
  original: Uint8Array;
  /** Finest-level hole: 1 = filled by the engine, 0 = returned byte for byte. */
  hole: Uint8Array;
  /** Coarsest first; empty unless kind is `patchmatch`. */
  levels: PlannedLevel[];
  /** Onion-peel order and distances at the level the fill starts from (coarsest, or the only one). */
  start: HoleDistance;
  /** Finest level as floats (the `smooth` fill works on it). */
  finest: PyramidLevel;
  /** Progress steps per variation: EM iterations over all levels (1 for the trivial kinds). */
  steps: number;
  warnings: string[];
  percentile: number;
}

export function planFill(
  rgb: Uint8Array,
  mask: Uint8Array,
  threshold: number,
  width: number,
  height: number,
  settings: ClassicSettings,
): FillPlan {
  const finest = levelFromBytes(rgb, mask, threshold, width, height);
  const start = holeDistance(finest.hole, width, height);
  // Small crops get smaller patches, down to single pixels, so that any size ≥ 1×1 has a patch that fits.
  const fitting = Math.floor((Math.min(width, height) - 1) / 2);
  const patchRadius = Math.max(0, Math.min(settings.patchRadius, fitting));
  const finestRadius = Math.max(0, Math.min(settings.finestPatchRadius, fitting));
  const plan: FillPlan = {
    kind: 'unchanged',
    width,
    height,
    original: rgb,
    hole: finest.hole,
    levels: [],
    start,
    finest,
    steps: 1,
    warnings: [],
    percentile: settings.weightPercentile,
  };
  if (finest.holeCount === 0) return plan;
  if (start.order.length === 0) {
    plan.warnings.push('classic: the mask covers the whole image, so there is nothing to fill from; returned unchanged');
    return plan;
  }
  const finestCentres = classifyPatchCentres(finest.hole, width, height, finestRadius);
  if (finestCentres.sources.length === 0) {
    plan.kind = 'smooth';
    plan.warnings.push(
      `classic: no ${2 * finestRadius + 1}×${2 * finestRadius + 1} patch outside the hole to copy from; filled smoothly instead`,
    );
    return plan;
  }

  // Coarser levels while the hole is still more than a few pixels thick and enough source patches survive.
  const pyramid: { level: PyramidLevel; radius: number; centres: PatchCentres }[] = [
    { level: finest, radius: finestRadius, centres: finestCentres },
  ];
  let holeRadius = start.maxDistance;
  while (holeRadius > settings.coarsestHoleRadius) {
    const level = downsampleLevel(pyramid[pyramid.length - 1].level);
    const centres = classifyPatchCentres(level.hole, level.width, level.height, patchRadius);
    if (centres.sources.length < settings.minSources || centres.targets.length === 0) break;
    pyramid.push({ level, radius: patchRadius, centres });
    holeRadius /= 2;
  }
  pyramid.reverse();

  const count = pyramid.length;
  plan.kind = 'patchmatch';
  plan.levels = pyramid.map(({ level, radius, centres }, i) => {
    const iterations = levelIterations(i, count, settings);
    const fullSearch = Math.max(level.width, level.height);
    const searchRadius = i === count - 1 && count > 1 ? Math.min(settings.finestSearchRadius, fullSearch) : fullSearch;
    return { ...level, patchRadius: radius, centres, holePixels: holePixelsOf(level.hole, level.holeCount), iterations, searchRadius };
  });
  const coarsest = plan.levels[0];
  plan.start = count === 1 ? start : holeDistance(coarsest.hole, coarsest.width, coarsest.height);
  plan.steps = plan.levels.reduce((sum, level) => sum + level.iterations, 0);
  return plan;
}

/**
 * Many cheap iterations at the coarse levels (where the layout of the fill is decided), falling linearly to
 * `nearFinestIterations` just above the finest level, and `finestIterations` at the finest, which costs as much as
 * all the others together. A pyramid of one level (a thin hole) gets the near-finest count.
 */
function levelIterations(index: number, count: number, settings: ClassicSettings): number {
  if (count === 1) return settings.nearFinestIterations;
  if (index === count - 1) return settings.finestIterations;
  const fraction = count === 2 ? 1 : index / (count - 2);
  return Math.round(settings.coarsestIterations + (settings.nearFinestIterations - settings.coarsestIterations) * fraction);
}

function holePixelsOf(hole: Uint8Array, holeCount: number): Int32Array {
  const pixels = new Int32Array(holeCount);
  let n = 0;
  for (let p = 0; p < hole.length; p++) if (hole[p]) pixels[n++] = p;
  return pixels;
}
