/**
 * The nearest-neighbour field (NNF): for every target patch centre, the source patch centre that currently matches
 * it best, and the patch distance (sum of squared RGB differences over the patch). Stored per pixel so neighbours
 * can be looked up during propagation.
 */
import type { PatchCentres } from './patch-centres';
import type { Random } from './random';

export interface NearestNeighbourField {
  /** Source centre per pixel; −1 where the pixel is not a target centre. */
  source: Int32Array;
  /** Patch distance of that match (stale after the image changed, until the next search recomputes it). */
  distance: Float32Array;
}

/** Coarsest-level start: every target gets a uniformly random source. */
export function randomField(pixels: number, centres: PatchCentres, random: Random): NearestNeighbourField {
  const source = new Int32Array(pixels).fill(-1);
  const distance = new Float32Array(pixels);
  const { targets, sources } = centres;
  for (let i = 0; i < targets.length; i++) source[targets[i]] = sources[random.int(sources.length)];
  return { source, distance };
}

/**
 * Next-finer start: a fine target takes its coarse parent's match, doubled and shifted by the same sub-pixel offset
 * the target has from its parent, so whole regions keep copying from the same place. Matches that land on an
 * invalid centre (the hole grows by a pixel or so when halved) fall back to a random source. Distances are carried
 * over only as vote weights for the first vote at the finer level: the weights are relative to a percentile of the
 * same distances, so the finest level's smaller patches do not skew them.
 */
export function upsampleField(
  coarse: NearestNeighbourField,
  coarseWidth: number,
  coarseHeight: number,
  fineWidth: number,
  fineHeight: number,
  centres: PatchCentres,
  random: Random,
): NearestNeighbourField {
  const source = new Int32Array(fineWidth * fineHeight).fill(-1);
  const distance = new Float32Array(fineWidth * fineHeight);
  const { targets, sources, isSource } = centres;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    const x = t % fineWidth;
    const y = (t - x) / fineWidth;
    const cx = Math.min(x >> 1, coarseWidth - 1);
    const cy = Math.min(y >> 1, coarseHeight - 1);
    const parent = coarse.source[cy * coarseWidth + cx];
    let s = -1;
    if (parent >= 0) {
      const px = parent % coarseWidth;
      const py = (parent - px) / coarseWidth;
      const sx = 2 * px + (x - 2 * cx);
      const sy = 2 * py + (y - 2 * cy);
      if (sx < fineWidth && sy < fineHeight && isSource[sy * fineWidth + sx]) s = sy * fineWidth + sx;
      distance[t] = coarse.distance[cy * coarseWidth + cx];
    }
    if (s < 0) {
      s = sources[random.int(sources.length)];
      distance[t] = Infinity;
    }
    source[t] = s;
  }
  return { source, distance };
}
