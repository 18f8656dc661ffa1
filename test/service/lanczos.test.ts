// The resampler against Lanczos-3 as Pillow defines it, computed here in double precision from the formula:
// centre (i + 0.5)·scale, support 3·max(scale, 1), weights sinc(x)·sinc(x/3) normalised to 1, 8-bit rounding after
// each pass (horizontal first).
import { describe, expect, it } from 'vitest';
import { lanczos3, resampleLanczos3 } from '../../service/imaging/lanczos';
import type { Pixels } from '../../service/imaging/pixels';

function kernel(x: number): number {
  if (x <= -3 || x >= 3) return 0;
  if (x === 0) return 1;
  return (3 * Math.sin(Math.PI * x) * Math.sin((Math.PI * x) / 3)) / (Math.PI * Math.PI * x * x);
}

/** One axis in double precision: unrounded outputs. */
function referenceAxis(input: ArrayLike<number>, outSize: number): number[] {
  const scale = input.length / outSize;
  const stretch = Math.max(scale, 1);
  return Array.from({ length: outSize }, (_, i) => {
    const centre = (i + 0.5) * scale;
    let sum = 0;
    let weights = 0;
    for (let j = 0; j < input.length; j++) {
      const w = kernel((j + 0.5 - centre) / stretch);
      sum += w * input[j];
      weights += w;
    }
    return sum / weights;
  });
}

const to8 = (v: number) => Math.min(255, Math.max(0, Math.round(v)));

/** Exact where the value is not within 1e-3 of a rounding tie (22-bit weights can tip those either way). */
function expectMatches(actual: ArrayLike<number>, exact: readonly number[]): void {
  let checked = 0;
  exact.forEach((v, i) => {
    const tie = Math.abs((v % 1) - 0.5) < 1e-3;
    if (tie) {
      expect(Math.abs(actual[i] - to8(v))).toBeLessThanOrEqual(1);
    } else {
      expect(actual[i], `output ${i} (exact ${v.toFixed(4)})`).toBe(to8(v));
      checked++;
    }
  });
  expect(checked).toBeGreaterThan(exact.length * 0.9);
}

function row(values: readonly number[]): Pixels {
  return { width: values.length, height: 1, channels: 1, data: Uint8Array.from(values) };
}

function noise(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 255);
}

describe('Lanczos-3 (Pillow semantics)', () => {
  it('has the Lanczos kernel: 1 at 0, 0 at the other integers, 0 from 3 on', () => {
    expect(lanczos3(0)).toBe(1);
    for (const x of [-2, -1, 1, 2]) expect(Math.abs(lanczos3(x))).toBeLessThan(1e-15);
    expect(lanczos3(3)).toBe(0);
    expect(lanczos3(0.5)).toBeCloseTo(kernel(0.5), 14);
    expect(lanczos3(-2.5)).toBeCloseTo(kernel(-2.5), 14);
  });

  it('enlarges an impulse ×2 centre-aligned: the two outputs around the pixel are equal, the lobes symmetric', () => {
    const input = [0, 0, 0, 0, 0, 200, 0, 0, 0, 0, 0];
    const out = resampleLanczos3(row(input), { width: 22, height: 1 }).data;
    expectMatches(out, referenceAxis(input, 22));
    // Pixel 5's centre (5.5) lands between outputs 10 and 11: a half-pixel shift would break the symmetry.
    expect(out[10]).toBe(out[11]);
    for (let k = 1; k <= 5; k++) expect(out[10 - k]).toBe(out[11 + k]);
  });

  it('matches the formula for a ramp reduced 37 → 12 (support 3·scale) and noise enlarged 13 → 29', () => {
    const ramp = Array.from({ length: 37 }, (_, i) => i * 7);
    expectMatches(resampleLanczos3(row(ramp), { width: 12, height: 1 }).data, referenceAxis(ramp, 12));
    const random = noise(13, 1);
    expectMatches(resampleLanczos3(row(random), { width: 29, height: 1 }).data, referenceAxis(random, 29));
  });

  it('resamples columns the same way, and clamps the overshoot of a hard edge to 0..255', () => {
    const edge = [0, 0, 0, 0, 255, 255, 255, 255];
    const column: Pixels = { width: 1, height: 8, channels: 1, data: Uint8Array.from(edge) };
    const out = resampleLanczos3(column, { width: 1, height: 19 }).data;
    const exact = referenceAxis(edge, 19);
    expect(exact.some((v) => v > 255) && exact.some((v) => v < 0)).toBe(true);
    expectMatches(out, exact);
  });

  it('is separable with an 8-bit intermediate, per channel, for RGB in 2-D', () => {
    const [w, h, ow, oh] = [9, 7, 20, 5];
    const data = Uint8Array.from(noise(w * h * 3, 7));
    const out = resampleLanczos3({ width: w, height: h, channels: 3, data }, { width: ow, height: oh });
    for (let c = 0; c < 3; c++) {
      const rows = Array.from({ length: h }, (_, y) =>
        referenceAxis(Array.from({ length: w }, (_, x) => data[(y * w + x) * 3 + c]), ow).map(to8),
      );
      for (let x = 0; x < ow; x++) {
        const exact = referenceAxis(rows.map((r) => r[x]), oh);
        expectMatches(Array.from({ length: oh }, (_, y) => out.data[(y * ow + x) * 3 + c]), exact);
      }
    }
  });

  it('keeps a constant image constant, skips an unchanged axis, and computes a region like the whole', () => {
    const flat = resampleLanczos3({ width: 5, height: 4, channels: 1, data: new Uint8Array(20).fill(77) }, { width: 13, height: 11 });
    expect(flat.data.every((v) => v === 77)).toBe(true);
    const data = Uint8Array.from(noise(6 * 4, 3));
    const wide = resampleLanczos3({ width: 6, height: 4, channels: 1, data }, { width: 15, height: 4 });
    for (let y = 0; y < 4; y++) {
      expectMatches(wide.data.subarray(y * 15, (y + 1) * 15), referenceAxis(data.subarray(y * 6, (y + 1) * 6), 15));
    }
    const size = { width: 17, height: 13 };
    const whole = resampleLanczos3({ width: 6, height: 4, channels: 1, data }, size);
    const region = { x: 3, y: 5, width: 9, height: 6 };
    const part = resampleLanczos3({ width: 6, height: 4, channels: 1, data }, size, region);
    for (let y = 0; y < region.height; y++) {
      const from = (region.y + y) * size.width + region.x;
      expect(Array.from(part.data.subarray(y * region.width, (y + 1) * region.width))).toEqual(Array.from(whole.data.subarray(from, from + region.width)));
    }
    expect(() => resampleLanczos3({ width: 6, height: 4, channels: 1, data }, size, { x: 10, y: 0, width: 9, height: 2 })).toThrow(/outside/);
  });
});
