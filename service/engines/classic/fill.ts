/**
 * One variation of the classic fill, coarse to fine (Wexler et al. 2007 with PatchMatch as the search):
 * start from a smooth onion-peel guess at the coarsest level, then at every level alternate a PatchMatch search
 * (E step) with a weighted vote (M step), and hand the field and the picture to the next finer level.
 */
import type { NearestNeighbourField } from './nnf';
import { randomField, upsampleField } from './nnf';
import { onionPeelFill } from './onion-peel';
import type { FillPlan, PlannedLevel } from './plan';
import { Random } from './random';
import { searchField } from './search';
import { createVoteBuffers, voteHole } from './vote';

export interface FillHooks {
  /** Throws (CancelledError) when the job was cancelled; called often inside long loops. */
  checkCancelled(): void;
  /** After each EM iteration (1-based count over all levels); may yield to the event loop and may throw. */
  afterStep(step: number): Promise<void>;
}

export async function fillVariation(plan: FillPlan, seed: number, hooks: FillHooks): Promise<Uint8Array> {
  hooks.checkCancelled();
  if (plan.kind === 'unchanged') {
    await hooks.afterStep(1);
    return plan.original.slice();
  }
  if (plan.kind === 'smooth') {
    const image = plan.finest.image.slice();
    onionPeelFill(image, plan.width, plan.height, plan.start);
    await hooks.afterStep(1);
    return composeOutput(plan, image);
  }

  const random = new Random(seed);
  const radius = plan.patchRadius;
  const buffers = createVoteBuffers(plan.width * plan.height);
  let step = 0;
  let previous: { level: PlannedLevel; image: Float32Array; field: NearestNeighbourField } | null = null;

  for (const level of plan.levels) {
    const { width, height, centres } = level;
    // 1. Start this level: a smooth guess and random matches at the coarsest, else the coarser result upsampled.
    const image = level.image.slice();
    let field: NearestNeighbourField;
    if (previous === null) {
      onionPeelFill(image, width, height, plan.start);
      field = randomField(width * height, centres, random);
    } else {
      upsampleHole(previous.image, previous.level.width, previous.level.height, image, level);
      field = upsampleField(previous.field, previous.level.width, previous.level.height, width, height, centres, random);
      voteHole(field, image, level.hole, level.holePixels, width, radius, centres, plan.percentile, buffers);
    }
    // 2. EM iterations: search the best source for every target patch, then let the matches vote.
    for (let iteration = 0; iteration < level.iterations; iteration++) {
      const pass = { reverse: iteration % 2 === 1, searchRadius: level.searchRadius };
      searchField(field, image, width, height, radius, centres, random, pass, hooks.checkCancelled);
      hooks.checkCancelled();
      voteHole(field, image, level.hole, level.holePixels, width, radius, centres, plan.percentile, buffers);
      await hooks.afterStep(++step);
    }
    previous = { level, image, field };
  }
  // 3. Round the finest picture into bytes, hole pixels only.
  return composeOutput(plan, previous!.image);
}

/** Nearest-neighbour upsampling of the coarse fill into the fine hole (a fallback for pixels the first vote misses). */
function upsampleHole(coarse: Float32Array, coarseWidth: number, coarseHeight: number, fine: Float32Array, level: PlannedLevel): void {
  const { holePixels, width } = level;
  for (let i = 0; i < holePixels.length; i++) {
    const p = holePixels[i];
    const x = p % width;
    const y = (p - x) / width;
    const c = (Math.min(y >> 1, coarseHeight - 1) * coarseWidth + Math.min(x >> 1, coarseWidth - 1)) * 3;
    fine[p * 3] = coarse[c];
    fine[p * 3 + 1] = coarse[c + 1];
    fine[p * 3 + 2] = coarse[c + 2];
  }
}

/** Input bytes everywhere, except hole pixels, which take the fill rounded to 8 bits. */
function composeOutput(plan: FillPlan, image: Float32Array): Uint8Array {
  const out = plan.original.slice();
  const { hole } = plan;
  for (let p = 0; p < hole.length; p++) {
    if (!hole[p]) continue;
    for (let k = 0; k < 3; k++) {
      const v = Math.round(image[p * 3 + k]);
      out[p * 3 + k] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}
