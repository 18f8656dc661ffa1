/**
 * The fill looks like its surroundings: per-texture statistics inside the hole match those outside, structure
 * (stripe orientation and period, checker two-valuedness) survives, no seam follows the mask outline, and every
 * pixel outside the mask comes back byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { boundaryStep, channelStats, fill, holeRing, meanError, meanShiftDifference, pixelsWhere, samePixels } from './helpers';
import { checker, gradient, noise, rectMask, squareMask, stripes, texture } from './textures';
import type { Picture } from './textures';

const SIZE = 128;
const HOLE = 48;

function expectStatsMatch(picture: Picture, rgb: Uint8Array, mask: Uint8Array, meanTolerance: number, stdRatio: number): void {
  const inside = channelStats(rgb, pixelsWhere(mask, true));
  const outside = channelStats(picture.rgb, pixelsWhere(mask, false));
  for (let k = 0; k < 3; k++) {
    expect(Math.abs(inside.mean[k] - outside.mean[k]), `mean of channel ${k}`).toBeLessThan(meanTolerance);
    expect(inside.std[k] / outside.std[k], `std ratio of channel ${k}`).toBeGreaterThan(1 - stdRatio);
    expect(inside.std[k] / outside.std[k], `std ratio of channel ${k}`).toBeLessThan(1 + stdRatio);
  }
}

describe('classic fill quality on synthetic textures', () => {
  it('stripes: same colours, orientation and period inside the hole; outside unchanged', async () => {
    const picture = stripes(SIZE, SIZE, 16, Math.PI / 6);
    const mask = squareMask(SIZE, SIZE, HOLE);
    const rgb = (await fill(picture, mask)).images[0].rgb;
    const hole = pixelsWhere(mask, true);

    expect(samePixels(rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
    expectStatsMatch(picture, rgb, mask, 20, 0.2);
    // Stripe normal n = (cos 30°, sin 30°), direction along the stripes t = (−sin 30°, cos 30°).
    const along = meanShiftDifference(picture, rgb, hole, -3, 5); // ≈ 5.8 px along t
    const halfPeriod = meanShiftDifference(picture, rgb, hole, 7, 4); // ≈ 8 px along n
    const fullPeriod = meanShiftDifference(picture, rgb, hole, 14, 8); // ≈ 16 px along n
    const originalAlong = meanShiftDifference(picture, picture.rgb, hole, -3, 5);
    expect(halfPeriod).toBeGreaterThan(80);
    expect(along).toBeLessThan(originalAlong + 15);
    expect(fullPeriod).toBeLessThan(0.3 * halfPeriod);
  });

  it('checkerboard: the fill stays two-valued (no grey blur) and seamless', async () => {
    const picture = checker(SIZE, SIZE, 16);
    const mask = squareMask(SIZE, SIZE, HOLE);
    const rgb = (await fill(picture, mask)).images[0].rgb;
    const hole = pixelsWhere(mask, true);

    expect(samePixels(rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
    expectStatsMatch(picture, rgb, mask, 25, 0.15);
    const dark = [picture.rgb[0], picture.rgb[1], picture.rgb[2]];
    const lightAt = 16 * 3;
    const light = [picture.rgb[lightAt], picture.rgb[lightAt + 1], picture.rgb[lightAt + 2]];
    const near = (p: number, colour: number[]): boolean => colour.every((c, k) => Math.abs(rgb[p * 3 + k] - c) <= 12);
    const twoValued = hole.filter((p) => near(p, dark) || near(p, light)).length / hole.length;
    expect(twoValued).toBeGreaterThan(0.95);
    expect(boundaryStep(SIZE, SIZE, rgb, mask)).toBeLessThan(boundaryStep(SIZE, SIZE, picture.rgb, mask) * 1.5 + 5);
  });

  it('noise: mean and spread per channel match the surroundings (no smoothing)', async () => {
    const picture = noise(SIZE, SIZE);
    const mask = squareMask(SIZE, SIZE, HOLE);
    const rgb = (await fill(picture, mask)).images[0].rgb;

    expect(samePixels(rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
    expectStatsMatch(picture, rgb, mask, 6, 0.15);
  });

  it('gradient plus texture: follows the gradient, keeps the grain, no seam along the mask outline', async () => {
    const picture = gradient(SIZE, SIZE);
    const mask = squareMask(SIZE, SIZE, HOLE);
    const rgb = (await fill(picture, mask)).images[0].rgb;

    expect(samePixels(rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
    // The hole's mean colour follows the gradient it sits in.
    const inside = channelStats(rgb, pixelsWhere(mask, true));
    const truth = channelStats(picture.rgb, pixelsWhere(mask, true));
    for (let k = 0; k < 3; k++) expect(Math.abs(inside.mean[k] - truth.mean[k]), `mean of channel ${k}`).toBeLessThan(12);
    // Grain: neighbouring pixels differ as much as in the original (a smooth fill would be far below).
    const hole = pixelsWhere(mask, true);
    const grain = meanShiftDifference(picture, rgb, hole, 1, 0);
    const originalGrain = meanShiftDifference(picture, picture.rgb, hole, 1, 0);
    expect(grain / originalGrain).toBeGreaterThan(0.75);
    expect(grain / originalGrain).toBeLessThan(1.33);
    expect(boundaryStep(SIZE, SIZE, rgb, mask)).toBeLessThan(boundaryStep(SIZE, SIZE, picture.rgb, mask) * 1.5 + 3);
  });

  describe('no mask-shaped artefact along the outline', () => {
    /** Mean absolute difference to the right and lower neighbour: the grain a blur would flatten. */
    const grain = (picture: Picture, rgb: Uint8Array, pixels: number[]): number =>
      (meanShiftDifference(picture, rgb, pixels, 1, 0) + meanShiftDifference(picture, rgb, pixels, 0, 1)) / 2;
    const RING = 3;
    /** A fill passes when its border ring keeps the grain and the step across the outline stays as in the original. */
    function artefacts(picture: Picture, rgb: Uint8Array, mask: Uint8Array): { ringGrain: number; seam: number } {
      const { ring } = holeRing(SIZE, SIZE, mask, RING);
      return {
        ringGrain: grain(picture, rgb, ring) / grain(picture, picture.rgb, ring),
        seam: boundaryStep(SIZE, SIZE, rgb, mask) / boundaryStep(SIZE, SIZE, picture.rgb, mask),
      };
    }

    it.each(['noise', 'gradient', 'stripes'] as const)('%s: no blurred ring and no seam at the hole border', async (name) => {
      const picture = texture(name, SIZE, SIZE);
      const mask = squareMask(SIZE, SIZE, HOLE);
      const rgb = (await fill(picture, mask)).images[0].rgb;
      const { ringGrain, seam } = artefacts(picture, rgb, mask);

      expect(ringGrain).toBeGreaterThan(0.85);
      expect(ringGrain).toBeLessThan(1.2);
      expect(seam).toBeLessThan(1.2);
    });

    it('these checks do catch a blurred ring and a brightness seam', () => {
      const picture = noise(SIZE, SIZE);
      const mask = squareMask(SIZE, SIZE, HOLE);
      const { ring } = holeRing(SIZE, SIZE, mask, RING);
      // The original with its border ring box-blurred (3×3), as an averaging vote would leave it.
      const blurred = picture.rgb.slice();
      for (const p of ring) {
        for (let k = 0; k < 3; k++) {
          let sum = 0;
          for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) sum += picture.rgb[(p + dy * SIZE + dx) * 3 + k];
          blurred[p * 3 + k] = Math.round(sum / 9);
        }
      }
      expect(artefacts(picture, blurred, mask).ringGrain).toBeLessThan(0.85);
      // The original with the whole hole 25 levels brighter: a fill whose colours do not meet the surroundings.
      const stripesPicture = stripes(SIZE, SIZE, 16, Math.PI / 6);
      const shiftedStripes = stripesPicture.rgb.slice();
      for (const p of pixelsWhere(mask, true)) for (let k = 0; k < 3; k++) shiftedStripes[p * 3 + k] = Math.min(255, shiftedStripes[p * 3 + k] + 25);
      expect(artefacts(stripesPicture, shiftedStripes, mask).seam).toBeGreaterThan(1.2);
    });
  });

  it.each([
    ['the left edge', 0, 40, 40, 48],
    ['the top edge', 40, 0, 48, 30],
    ['a corner', SIZE - 40, SIZE - 40, 40, 40],
  ])('continues stripes and checkers exactly into a hole touching %s', async (_where, left, top, w, h) => {
    const mask = rectMask(SIZE, SIZE, left, top, w, h);
    const hole = pixelsWhere(mask, true);
    for (const picture of [stripes(SIZE, SIZE, 16, Math.PI / 6), checker(SIZE, SIZE, 16)]) {
      const rgb = (await fill(picture, mask)).images[0].rgb;
      expect(samePixels(rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
      // Both textures repeat, so the known original is the right answer; antialiased stripe edges allow ~1 level.
      expect(meanError(rgb, picture.rgb, hole)).toBeLessThan(3);
    }
  });
});
