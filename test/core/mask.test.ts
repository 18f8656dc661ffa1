import { describe, expect, it } from 'vitest';
import { binarizeMask, compositeByMask, countMasked } from '../../core/mask';

describe('binarizeMask', () => {
  it('thresholds at 128 like diffusers (v/255 ≥ 0.5)', () => {
    const out = binarizeMask(Uint8Array.from([0, 1, 127, 128, 200, 255]));
    expect(Array.from(out)).toEqual([0, 0, 0, 255, 255, 255]);
  });
});

describe('countMasked', () => {
  it('counts any non-zero value', () => {
    expect(countMasked(Uint8Array.from([0, 1, 0, 255, 3]))).toBe(3);
  });
});

describe('compositeByMask', () => {
  it('keeps original bytes outside, generated inside, blends at soft values', () => {
    const original = Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const generated = Uint8Array.from([200, 200, 200, 210, 210, 210, 220, 220, 220]);
    const mask = Uint8Array.from([0, 255, 128]);
    const out = compositeByMask(original, 3, generated, mask);
    expect(Array.from(out.subarray(0, 4))).toEqual([10, 20, 30, 255]);
    expect(Array.from(out.subarray(4, 8))).toEqual([210, 210, 210, 255]);
    const a = 128 / 255;
    expect(Array.from(out.subarray(8, 12))).toEqual([
      Math.round(220 * a + 70 * (1 - a)),
      Math.round(220 * a + 80 * (1 - a)),
      Math.round(220 * a + 90 * (1 - a)),
      255,
    ]);
  });

  it('keeps the original alpha outside the mask for RGBA input', () => {
    const original = Uint8Array.from([1, 2, 3, 0, 4, 5, 6, 100]);
    const generated = Uint8Array.from([9, 9, 9, 9, 9, 9]);
    const out = compositeByMask(original, 4, generated, Uint8Array.from([0, 255]));
    expect(Array.from(out)).toEqual([1, 2, 3, 0, 9, 9, 9, 255]);
  });

  it('changes nothing where generated equals original, at every soft value (no rounding drift)', () => {
    const rgb = new Uint8Array(256 * 3);
    for (let v = 0; v < 256; v++) rgb.set([v, v, v], v * 3);
    for (let m = 0; m < 256; m++) {
      const out = compositeByMask(rgb, 3, rgb, new Uint8Array(256).fill(m));
      for (let v = 0; v < 256; v++) expect(out[v * 4], `mask ${m}, value ${v}`).toBe(v);
    }
  });

  it('blends an RGBA original alpha toward opaque at soft values', () => {
    const original = Uint8Array.from([0, 255, 100, 0]);
    const generated = Uint8Array.from([255, 0, 100]);
    for (const m of [1, 64, 127, 128, 200, 254]) {
      const out = compositeByMask(original, 4, generated, Uint8Array.from([m]));
      const a = m / 255;
      expect(Array.from(out)).toEqual([Math.round(255 * a), Math.round(255 * (1 - a)), 100, Math.round(255 * a)]);
    }
  });
});
