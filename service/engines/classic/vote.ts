/**
 * The voting (M) step of Wexler et al. 2007: every hole pixel becomes the weighted mean of the colours that all
 * target patches covering it propose through their matches. A match's weight is exp(−d / 2σ²), d its per-value
 * patch distance and σ² a percentile of those distances at this level, so good matches dominate and the fill
 * stays sharp where the matches agree.
 */
import type { NearestNeighbourField } from './nnf';
import type { PlannedLevel } from './plan';

/** What a vote needs to know about the level. */
type VoteLevel = Pick<PlannedLevel, 'hole' | 'holePixels' | 'width' | 'patchRadius' | 'centres'>;

/** Scratch space for one vote, allocated once per job at the finest size and reused by every level. */
export interface VoteBuffers {
  /** Weighted colour sums (average vote). */
  colour: Float32Array;
  /** Weight sums (average vote), best distances (best-patch vote). */
  weight: Float32Array;
  /** Source pixel of the best patch (best-patch vote). */
  bestSource: Int32Array;
}

export function createVoteBuffers(pixels: number): VoteBuffers {
  return { colour: new Float32Array(pixels * 3), weight: new Float32Array(pixels), bestSource: new Int32Array(pixels) };
}

/** Distances from at most this many targets set σ²: enough for a stable percentile, cheap to sort. */
const SIGMA_SAMPLES = 1024;
/** σ² floor (per colour value, in 8-bit levels²): exact matches everywhere must not make every weight 0 or NaN. */
const MIN_SIGMA2 = 1;

export function voteHole(
  field: NearestNeighbourField,
  image: Float32Array,
  level: VoteLevel,
  percentile: number,
  buffers: VoteBuffers,
): void {
  const { hole, holePixels, width, patchRadius: radius, centres } = level;
  const { colour, weight } = buffers;
  for (let i = 0; i < holePixels.length; i++) {
    const p = holePixels[i];
    weight[p] = 0;
    colour[p * 3] = 0;
    colour[p * 3 + 1] = 0;
    colour[p * 3 + 2] = 0;
  }
  const { targets } = centres;
  const values = (2 * radius + 1) * (2 * radius + 1) * 3;
  const inverseTwoSigma2 = 1 / (2 * distancePercentile(field.distance, targets, percentile, values));
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    const w = Math.exp(-(field.distance[t] / values) * inverseTwoSigma2);
    if (!(w > 0)) continue;
    const offset = field.source[t] - t;
    for (let dy = -radius; dy <= radius; dy++) {
      const rowStart = t + dy * width - radius;
      for (let q = rowStart; q <= rowStart + 2 * radius; q++) {
        if (!hole[q]) continue;
        const s = (q + offset) * 3;
        colour[q * 3] += w * image[s];
        colour[q * 3 + 1] += w * image[s + 1];
        colour[q * 3 + 2] += w * image[s + 2];
        weight[q] += w;
      }
    }
  }
  // A pixel that got no weight (every covering match unusable) keeps its previous colour.
  for (let i = 0; i < holePixels.length; i++) {
    const p = holePixels[i];
    const w = weight[p];
    if (w <= 0) continue;
    image[p * 3] = colour[p * 3] / w;
    image[p * 3 + 1] = colour[p * 3 + 1] / w;
    image[p * 3 + 2] = colour[p * 3 + 2] / w;
  }
}

function distancePercentile(distance: Float32Array, targets: Int32Array, percentile: number, values: number): number {
  const stride = Math.max(1, Math.floor(targets.length / SIGMA_SAMPLES));
  const sample: number[] = [];
  for (let i = 0; i < targets.length; i += stride) {
    const d = distance[targets[i]];
    if (Number.isFinite(d)) sample.push(d / values);
  }
  if (sample.length === 0) return MIN_SIGMA2;
  sample.sort((a, b) => a - b);
  return Math.max(MIN_SIGMA2, sample[Math.min(sample.length - 1, Math.floor(percentile * sample.length))]);
}

/**
 * The final vote at the finest level (as in Newson et al. 2014): each hole pixel takes its colour from the single
 * best-matching patch covering it instead of the mean of all of them, so textures keep their grain instead of being
 * averaged into a blur where the matches disagree.
 */
export function voteBestPatch(field: NearestNeighbourField, image: Float32Array, level: VoteLevel, buffers: VoteBuffers): void {
  const { hole, holePixels, width, patchRadius: radius, centres } = level;
  const { bestSource, weight: bestDistance } = buffers;
  for (let i = 0; i < holePixels.length; i++) {
    bestDistance[holePixels[i]] = Infinity;
    bestSource[holePixels[i]] = -1;
  }
  const { targets } = centres;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    const d = field.distance[t];
    const offset = field.source[t] - t;
    for (let dy = -radius; dy <= radius; dy++) {
      const rowStart = t + dy * width - radius;
      for (let q = rowStart; q <= rowStart + 2 * radius; q++) {
        if (!hole[q] || d >= bestDistance[q]) continue;
        bestDistance[q] = d;
        bestSource[q] = q + offset;
      }
    }
  }
  for (let i = 0; i < holePixels.length; i++) {
    const p = holePixels[i];
    const s = bestSource[p];
    if (s < 0) continue;
    image[p * 3] = image[s * 3];
    image[p * 3 + 1] = image[s * 3 + 1];
    image[p * 3 + 2] = image[s * 3 + 2];
  }
}
