// Colour match: a cast the generator put on everything (ring and region alike) is measured on the ring of unmasked
// pixels and removed from the region; content the prompt asked for is not flattened onto its surroundings.
import { describe, expect, it } from 'vitest';
import { colourMatchArea, labToRgb, matchColours, rgbToLab } from '../../service/imaging/colour-match';

const [W, H] = [64, 48];
const hole = { x: 20, y: 14, width: 24, height: 20 };

function texture(): Uint8Array {
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = (y * W + x) * 3;
      rgb[p] = 90 + ((x * 7 + y * 3) % 60);
      rgb[p + 1] = 120 + ((x * 5 + y * 11) % 50);
      rgb[p + 2] = 60 + ((x * 13 + y * 2) % 40);
    }
  }
  return rgb;
}

function holeMask(): Uint8Array {
  const mask = new Uint8Array(W * H);
  for (let y = hole.y; y < hole.y + hole.height; y++) mask.fill(255, y * W + hole.x, y * W + hole.x + hole.width);
  return mask;
}

/** A cast in LAB: a little brighter, warmer, with 20 % more contrast in L. */
function withCast(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  const lab = new Float64Array(3);
  for (let p = 0; p < rgb.length; p += 3) {
    rgbToLab(rgb[p], rgb[p + 1], rgb[p + 2], lab);
    labToRgb(lab[0] * 1.2 - 4, lab[1] + 9, lab[2] + 6, out, p);
  }
  return out;
}

/** The generated image over `area` (what region.ts hands over: the resized patch). */
function crop(rgb: Uint8Array, area: { x: number; y: number; width: number; height: number }): Uint8Array {
  const out = new Uint8Array(area.width * area.height * 3);
  for (let y = 0; y < area.height; y++) {
    const from = ((area.y + y) * W + area.x) * 3;
    out.set(rgb.subarray(from, from + area.width * 3), y * area.width * 3);
  }
  return out;
}

function meanAbsError(a: Uint8Array, b: Uint8Array, mask: Uint8Array, area: { x: number; y: number; width: number; height: number }): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < area.height; y++) {
    for (let x = 0; x < area.width; x++) {
      if (mask[(area.y + y) * W + area.x + x] === 0) continue;
      for (let c = 0; c < 3; c++) sum += Math.abs(a[(y * area.width + x) * 3 + c] - b[(y * area.width + x) * 3 + c]);
      n += 3;
    }
  }
  return sum / n;
}

describe('colour match', () => {
  it('round-trips sRGB through LAB to the byte', () => {
    const lab = new Float64Array(3);
    const back = new Uint8Array(3);
    for (const [r, g, b] of [[0, 0, 0], [255, 255, 255], [200, 50, 100], [12, 250, 7], [128, 128, 128]]) {
      rgbToLab(r, g, b, lab);
      labToRgb(lab[0], lab[1], lab[2], back, 0);
      expect(Array.from(back)).toEqual([r, g, b]);
    }
  });

  it('reads a ring around the selection, inside the crop', () => {
    expect(colourMatchArea(hole, { width: W, height: H })).toEqual({ x: 12, y: 6, width: 40, height: 36 });
    expect(colourMatchArea({ x: 0, y: 40, width: 10, height: 8 }, { width: W, height: H })).toEqual({ x: 0, y: 32, width: 18, height: 16 });
  });

  it('removes a known colour cast from the generated region', () => {
    const original = texture();
    const mask = holeMask();
    const area = colourMatchArea(hole, { width: W, height: H });
    const truth = crop(original, area);
    const generated = crop(withCast(original), area);
    const before = meanAbsError(generated, truth, mask, area);
    expect(matchColours({ generated, original: { width: W, channels: 3, data: original }, mask, area })).toBe(true);
    const after = meanAbsError(generated, truth, mask, area);
    expect(before).toBeGreaterThan(10);
    expect(after).toBeLessThan(1);
    // Ring pixels are left alone (the composite shows the original there anyway).
    expect(generated[0]).toBe(crop(withCast(original), area)[0]);
  });

  it('reads a generated image that covers more than the area, and corrects a whole rectangle of it when asked', () => {
    const original = texture();
    const mask = holeMask();
    const area = colourMatchArea(hole, { width: W, height: H });
    const cast = withCast(original);
    const generated = cast.slice();
    // The whole image as the frame (the working-size path); the hole grown by 2 px is corrected, ring pixels too.
    const rect = { x: hole.x - 2, y: hole.y - 2, width: hole.width + 4, height: hole.height + 4 };
    expect(matchColours({ generated, frame: { x: 0, y: 0, width: W, height: H }, original: { width: W, channels: 3, data: original }, mask, area }, rect)).toBe(true);
    const whole = { x: 0, y: 0, width: W, height: H };
    const inRect = new Uint8Array(W * H);
    for (let y = rect.y; y < rect.y + rect.height; y++) inRect.fill(1, y * W + rect.x, y * W + rect.x + rect.width);
    expect(meanAbsError(generated, original, inRect, whole)).toBeLessThan(1);
    // Outside the rectangle nothing changed.
    for (let p = 0; p < W * H; p++) if (!inRect[p]) expect(Array.from(generated.subarray(p * 3, p * 3 + 3))).toEqual(Array.from(cast.subarray(p * 3, p * 3 + 3)));
  });

  it('keeps what the prompt asked for: only the drift measured on the ring is taken out', () => {
    const original = texture();
    const mask = holeMask();
    const area = colourMatchArea(hole, { width: W, height: H });
    const generated = crop(original, area);
    // A red object in the hole, no cast on the ring.
    for (let y = hole.y; y < hole.y + hole.height; y++) {
      for (let x = hole.x; x < hole.x + hole.width; x++) generated.set([220, 30, 30], ((y - area.y) * area.width + x - area.x) * 3);
    }
    const copy = generated.slice();
    expect(matchColours({ generated, original: { width: W, channels: 3, data: original }, mask, area })).toBe(false);
    expect(generated).toEqual(copy);
  });

  it('changes nothing without enough ring (the selection covers the crop)', () => {
    const original = texture();
    const mask = new Uint8Array(W * H).fill(255);
    const area = { x: 0, y: 0, width: W, height: H };
    const generated = withCast(original);
    const copy = generated.slice();
    expect(matchColours({ generated, original: { width: W, channels: 3, data: original }, mask, area })).toBe(false);
    expect(generated).toEqual(copy);
  });
});
