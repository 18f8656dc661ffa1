/**
 * Smooth first guess for the coarsest level: fill the hole layer by layer from its boundary inward, each pixel the
 * mean of its already-filled 8-neighbours. PatchMatch then starts from plausible colours instead of black, which
 * keeps the first nearest-neighbour search from matching the hole to dark patches.
 */
import type { HoleDistance } from './hole-distance';

export function onionPeelFill(image: Float32Array, width: number, height: number, holeDist: HoleDistance): void {
  const { distance, order } = holeDist;
  for (let i = 0; i < order.length; i++) {
    const p = order[i];
    const x = p % width;
    const y = (p - x) / width;
    const d = distance[p];
    let r = 0;
    let g = 0;
    let b = 0;
    let n = 0;
    for (let dy = -1; dy <= 1; dy++) {
      const ny = y + dy;
      if (ny < 0 || ny >= height) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx;
        if (nx < 0 || nx >= width) continue;
        const q = ny * width + nx;
        const dq = distance[q];
        if (dq < 0 || dq >= d) continue;
        r += image[q * 3];
        g += image[q * 3 + 1];
        b += image[q * 3 + 2];
        n++;
      }
    }
    // n ≥ 1: the walk reached p from a neighbour one layer closer.
    image[p * 3] = r / n;
    image[p * 3 + 1] = g / n;
    image[p * 3 + 2] = b / n;
  }
}
