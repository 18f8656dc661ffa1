/**
 * The roles of patch centres: sources never overlap the hole (nothing is copied from inside it), and every hole
 * pixel is covered by at least one target patch (every hole pixel gets a vote), also at the crop's edges.
 */
import { describe, expect, it } from 'vitest';
import { classifyPatchCentres } from '../../service/engines/classic/patch-centres';
import { Random } from '../../service/engines/classic/random';

function randomHole(width: number, height: number, seed: number): Uint8Array {
  const random = new Random(seed);
  const hole = new Uint8Array(width * height);
  for (let blob = 0; blob < 4; blob++) {
    const cx = random.int(width);
    const cy = random.int(height);
    const r = 1 + random.int(6);
    for (let y = Math.max(0, cy - r); y < Math.min(height, cy + r); y++) {
      for (let x = Math.max(0, cx - r); x < Math.min(width, cx + r); x++) hole[y * width + x] = 1;
    }
  }
  return hole;
}

describe('classifyPatchCentres', () => {
  it.each([1, 2, 3])('keeps sources clear of the hole and covers every hole pixel with a target (seed %i)', (seed) => {
    const width = 40;
    const height = 31;
    const radius = 3;
    const hole = randomHole(width, height, seed);
    const { targets, sources, isSource } = classifyPatchCentres(hole, width, height, radius);
    const covered = new Uint8Array(width * height);
    const patchPixels = (centre: number): number[] => {
      const out: number[] = [];
      for (let dy = -radius; dy <= radius; dy++) for (let dx = -radius; dx <= radius; dx++) out.push(centre + dy * width + dx);
      return out;
    };

    for (const s of sources) {
      expect(isSource[s]).toBe(1);
      expect(patchPixels(s).some((q) => hole[q])).toBe(false);
    }
    for (const t of targets) {
      expect(isSource[t]).toBe(0);
      const pixels = patchPixels(t);
      expect(pixels.some((q) => hole[q])).toBe(true);
      for (const q of pixels) covered[q] = 1;
    }
    for (let p = 0; p < hole.length; p++) if (hole[p]) expect(covered[p], `hole pixel ${p}`).toBe(1);
    expect(targets.length + sources.length).toBe((width - 2 * radius) * (height - 2 * radius));
  });

  it('has no centres when the patch does not fit', () => {
    const { targets, sources } = classifyPatchCentres(new Uint8Array(5 * 5), 5, 5, 3);
    expect(targets).toHaveLength(0);
    expect(sources).toHaveLength(0);
  });
});
