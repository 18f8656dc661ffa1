/**
 * One variation of the classic fill, coarse to fine (Wexler et al. 2007, with PatchMatch as the search): start
 * from a smooth onion-peel guess at the coarsest level; at every level alternate a PatchMatch search (E step) with
 * a weighted vote (M step); hand the matches and the picture down to the next finer level.
 */
import type { NearestNeighbourField } from './nnf';
import { randomField, upsampleField } from './nnf';
import { onionPeelFill } from './onion-peel';
import type { FillPlan, PlannedLevel } from './plan';
import { Random } from './random';
import { searchField } from './search';
import { createVoteBuffers, voteBestPatch, voteHole } from './vote';
import type { VoteBuffers } from './vote';

export interface FillHooks {
  /** Throws (CancelledError) when the job was cancelled; called often inside long loops. */
  checkCancelled(): void;
  /**
   * After each EM iteration (1-based count over all levels), with the level's picture so far (read it now, it
   * changes afterwards); may yield to the event loop and may throw.
   */
  afterStep(step: number, level?: LevelSnapshot): Promise<void>;
}

export interface LevelSnapshot {
  width: number;
  height: number;
  /** RGB floats, interleaved. */
  image: Float32Array;
}

/** The fill in progress at one level. */
interface LevelState {
  level: PlannedLevel;
  image: Float32Array;
  field: NearestNeighbourField;
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
  const buffers = createVoteBuffers(plan.width * plan.height);
  const last = plan.levels.length - 1;
  let step = 0;
  // 1. Coarsest level: a smooth guess, random matches.
  let state = startCoarsest(plan, random);
  for (let index = 0; ; index++) {
    // 2. EM iterations: search the best source for every target patch, then let the matches vote.
    const { level, image, field } = state;
    for (let iteration = 0; iteration < level.iterations; iteration++) {
      const pass = { reverse: iteration % 2 === 1, searchRadius: level.searchRadius };
      searchField(field, image, level.width, level.height, level.patchRadius, level.centres, random, pass, hooks.checkCancelled);
      hooks.checkCancelled();
      // The very last vote copies each pixel from its best patch: a mean would blur where matches disagree.
      if (index === last && iteration === level.iterations - 1) voteBestPatch(field, image, level, buffers);
      else voteHole(field, image, level, plan.percentile, buffers);
      await hooks.afterStep(++step, { width: level.width, height: level.height, image });
    }
    if (index === last) break;
    // 3. Next finer level: upsample the matches and the picture, and let the matches vote once.
    state = startFromCoarser(state, plan.levels[index + 1], plan.percentile, random, buffers);
  }
  // 4. Round the finest picture into bytes, hole pixels only.
  return composeOutput(plan, state.image);
}

function startCoarsest(plan: FillPlan, random: Random): LevelState {
  const level = plan.levels[0];
  const image = level.image.slice();
  onionPeelFill(image, level.width, level.height, plan.start);
  return { level, image, field: randomField(level.width * level.height, level.centres, random) };
}

function startFromCoarser(coarser: LevelState, level: PlannedLevel, percentile: number, random: Random, buffers: VoteBuffers): LevelState {
  const { width: coarseWidth, height: coarseHeight } = coarser.level;
  const image = level.image.slice();
  upsampleHole(coarser.image, coarseWidth, coarseHeight, image, level);
  const field = upsampleField(coarser.field, coarseWidth, coarseHeight, level.width, level.height, level.centres, random);
  voteHole(field, image, level, percentile, buffers);
  return { level, image, field };
}

/** Nearest-neighbour upsampling of the coarse fill into the fine hole (kept by pixels the first vote misses). */
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
