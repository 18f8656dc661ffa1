/**
 * One PatchMatch pass (Barnes et al. 2009) over the nearest-neighbour field: refresh every target's distance on the
 * current image, then, in scan order (reversed on odd passes), try the match propagated from the previous
 * neighbour on the row and on the column, then random candidates in a window around the current match that
 * halves until it is one pixel wide. Candidates must be valid source centres, so no patch is ever taken from the hole.
 */
import type { NearestNeighbourField } from './nnf';
import type { PatchCentres } from './patch-centres';
import { patchDistance } from './patch-distance';
import type { Random } from './random';

export interface SearchPass {
  /** Odd passes scan backwards and propagate from the right/below neighbours. */
  reverse: boolean;
  /** Largest random-search window half-width, in pixels. */
  searchRadius: number;
}

/** How many targets between two cancellation checks (a few milliseconds of work). */
const CANCEL_CHECK_INTERVAL = 8192;

export function searchField(
  field: NearestNeighbourField,
  image: Float32Array,
  width: number,
  height: number,
  radius: number,
  centres: PatchCentres,
  random: Random,
  pass: SearchPass,
  checkCancelled: () => void,
): void {
  const { source, distance } = field;
  const { targets, isSource } = centres;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    distance[t] = patchDistance(image, width, radius, t, source[t], Infinity);
  }
  const step = pass.reverse ? -1 : 1;
  const minX = radius;
  const maxX = width - 1 - radius;
  const minY = radius;
  const maxY = height - 1 - radius;
  const count = targets.length;
  for (let n = 0; n < count; n++) {
    if (n % CANCEL_CHECK_INTERVAL === 0) checkCancelled();
    const t = targets[pass.reverse ? count - 1 - n : n];
    let best = source[t];
    let bestDistance = distance[t];

    // Propagation: the neighbour's match, shifted by one pixel, is likely good for us too.
    const horizontal = source[t - step];
    if (horizontal >= 0) {
      const candidate = horizontal + step;
      if (candidate !== best && isSource[candidate]) {
        const d = patchDistance(image, width, radius, t, candidate, bestDistance);
        if (d < bestDistance) {
          best = candidate;
          bestDistance = d;
        }
      }
    }
    const vertical = source[t - step * width];
    if (vertical >= 0) {
      const candidate = vertical + step * width;
      if (candidate !== best && isSource[candidate]) {
        const d = patchDistance(image, width, radius, t, candidate, bestDistance);
        if (d < bestDistance) {
          best = candidate;
          bestDistance = d;
        }
      }
    }

    // Random search around the current best, in exponentially shrinking windows.
    const bx = best % width;
    const by = (best - bx) / width;
    for (let w = pass.searchRadius; w >= 1; w >>= 1) {
      // Uniform over the window cut to the valid centres (clamping a sample instead would pile them on the border).
      const left = bx - w > minX ? bx - w : minX;
      const right = bx + w < maxX ? bx + w : maxX;
      const top = by - w > minY ? by - w : minY;
      const bottom = by + w < maxY ? by + w : maxY;
      const cx = left + Math.floor(random.next() * (right - left + 1));
      const cy = top + Math.floor(random.next() * (bottom - top + 1));
      const candidate = cy * width + cx;
      if (candidate === best || !isSource[candidate]) continue;
      const d = patchDistance(image, width, radius, t, candidate, bestDistance);
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    source[t] = best;
    distance[t] = bestDistance;
  }
}
