/** Running the classic engine in tests, and measuring what it produced. */
import type { EngineJob, EngineOutput, EngineProgress, EngineRunContext } from '../../service/engine-io';
import { createClassicEngine } from '../../service/engines/classic';
import type { Picture } from './textures';

export function makeJob(picture: Picture, mask: Uint8Array, seeds: number[] = [1]): EngineJob {
  return {
    width: picture.width,
    height: picture.height,
    image: picture.rgb,
    mask,
    prompt: 'ignored by the classic engine',
    negativePrompt: undefined,
    steps: 20,
    guidance: 8,
    guidanceRescale: 0,
    strength: 0.99,
    scheduler: 'euler',
    seeds,
  };
}

export const quietContext: EngineRunContext = { onProgress: () => {}, isCancelled: () => false };

export async function fill(picture: Picture, mask: Uint8Array, seeds: number[] = [1]): Promise<EngineOutput> {
  return createClassicEngine().run(makeJob(picture, mask, seeds), quietContext);
}

export async function fillRecordingProgress(picture: Picture, mask: Uint8Array, seeds: number[]): Promise<EngineProgress[]> {
  const events: EngineProgress[] = [];
  await createClassicEngine().run(makeJob(picture, mask, seeds), { onProgress: (p) => events.push(p), isCancelled: () => false });
  return events;
}

/** Indices of pixels where the mask is ≥ 128 (filled) or < 128 (kept). */
export function pixelsWhere(mask: Uint8Array, filled: boolean): number[] {
  const out: number[] = [];
  for (let p = 0; p < mask.length; p++) if (mask[p] >= 128 === filled) out.push(p);
  return out;
}

export interface ChannelStats {
  mean: number[];
  std: number[];
}

export function channelStats(rgb: Uint8Array, pixels: number[]): ChannelStats {
  const mean = [0, 0, 0];
  const square = [0, 0, 0];
  for (const p of pixels) {
    for (let k = 0; k < 3; k++) {
      mean[k] += rgb[p * 3 + k];
      square[k] += rgb[p * 3 + k] ** 2;
    }
  }
  const n = pixels.length;
  return { mean: mean.map((m) => m / n), std: square.map((s, k) => Math.sqrt(Math.max(0, s / n - (mean[k] / n) ** 2))) };
}

/** True when every byte of `a` and `b` at the given pixels is equal. */
export function samePixels(a: Uint8Array, b: Uint8Array, pixels: number[]): boolean {
  for (const p of pixels) {
    if (a[p * 3] !== b[p * 3] || a[p * 3 + 1] !== b[p * 3 + 1] || a[p * 3 + 2] !== b[p * 3 + 2]) return false;
  }
  return true;
}

/**
 * Mean absolute RGB difference between each listed pixel and the one `(dx, dy)` away (pairs leaving the picture
 * are skipped): small along a stripe, large half a period across it.
 */
export function meanShiftDifference(picture: Picture, rgb: Uint8Array, pixels: number[], dx: number, dy: number): number {
  let sum = 0;
  let n = 0;
  for (const p of pixels) {
    const x = p % picture.width;
    const y = (p - x) / picture.width;
    const qx = x + dx;
    const qy = y + dy;
    if (qx < 0 || qy < 0 || qx >= picture.width || qy >= picture.height) continue;
    const q = qy * picture.width + qx;
    for (let k = 0; k < 3; k++) sum += Math.abs(rgb[p * 3 + k] - rgb[q * 3 + k]);
    n += 3;
  }
  return sum / n;
}

/**
 * Mean absolute RGB step across the hole's outline: between each filled pixel and each kept 4-neighbour. A fill
 * with a visible mask-shaped seam has a much larger step there than the original picture has at the same place.
 */
export function boundaryStep(width: number, height: number, rgb: Uint8Array, mask: Uint8Array): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (mask[p] < 128) continue;
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        const qx = x + dx;
        const qy = y + dy;
        if (qx < 0 || qy < 0 || qx >= width || qy >= height) continue;
        const q = qy * width + qx;
        if (mask[q] >= 128) continue;
        for (let k = 0; k < 3; k++) sum += Math.abs(rgb[p * 3 + k] - rgb[q * 3 + k]);
        n += 3;
      }
    }
  }
  return sum / n;
}

/**
 * Filled pixels within `depth` pixels (chessboard) of a kept pixel — the ring where a blurred or mismatched border
 * would show — and the filled pixels further in.
 */
export function holeRing(width: number, height: number, mask: Uint8Array, depth: number): { ring: number[]; inner: number[] } {
  const ring: number[] = [];
  const inner: number[] = [];
  for (const p of pixelsWhere(mask, true)) {
    const x = p % width;
    const y = (p - x) / width;
    let nearKept = false;
    for (let dy = -depth; dy <= depth && !nearKept; dy++) {
      for (let dx = -depth; dx <= depth; dx++) {
        const qx = x + dx;
        const qy = y + dy;
        if (qx >= 0 && qy >= 0 && qx < width && qy < height && mask[qy * width + qx] < 128) {
          nearKept = true;
          break;
        }
      }
    }
    (nearKept ? ring : inner).push(p);
  }
  return { ring, inner };
}

/** Mean absolute RGB difference between `rgb` and the original at the given pixels. */
export function meanError(rgb: Uint8Array, original: Uint8Array, pixels: number[]): number {
  let sum = 0;
  for (const p of pixels) for (let k = 0; k < 3; k++) sum += Math.abs(rgb[p * 3 + k] - original[p * 3 + k]);
  return sum / (3 * pixels.length);
}
