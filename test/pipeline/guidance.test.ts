import { describe, expect, it } from 'vitest';
import { applyGuidance } from '../../service/pipeline/guidance';

/** diffusers' CFG + rescale_noise_cfg, literally, in double: one sample at a time. */
function naiveGuidance(noisePred: Float32Array, batch: number, g: number, phi: number): number[] {
  const size = noisePred.length / (2 * batch);
  const std = (xs: number[]): number => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  };
  const result: number[] = [];
  for (let b = 0; b < batch; b++) {
    const uncond = Array.from(noisePred.subarray(b * size, (b + 1) * size));
    const text = Array.from(noisePred.subarray((batch + b) * size, (batch + b + 1) * size));
    let cfg = uncond.map((u, i) => u + g * (text[i] - u));
    if (phi > 0) {
      const rescaled = cfg.map((x) => x * (std(text) / std(cfg)));
      cfg = rescaled.map((r, i) => phi * r + (1 - phi) * cfg[i]);
    }
    result.push(...cfg);
  }
  return result;
}

/** A deterministic CFG batch: unconditional and text predictions with different spreads and offsets. */
function makeNoisePred(batch: number, size: number): Float32Array {
  const out = new Float32Array(2 * batch * size);
  for (let i = 0; i < out.length; i++) {
    const positive = i >= batch * size;
    out[i] = Math.sin(i * 0.731) * (positive ? 1.3 : 0.9) + Math.cos(i * 0.173) * 0.2 + (positive ? 0.05 : -0.02);
  }
  return out;
}

function expectClose(actual: Float32Array, expected: number[], rel: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = Math.max(Math.abs(expected[i]) * rel, 1e-6);
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) {
      throw new Error(`index ${i}: ${actual[i]} is not within ${tolerance} of ${expected[i]}`);
    }
  }
}

describe('applyGuidance', () => {
  const batch = 2;
  const size = 4 * 16 * 16;
  const noisePred = makeNoisePred(batch, size);

  for (const [g, phi] of [
    [7.5, 0],
    [8, 0.7],
    [3, 1],
  ] as const) {
    it(`g=${g}, φ=${phi} matches a naive double-precision implementation`, () => {
      const before = noisePred.slice();
      const out = new Float32Array(batch * size);
      applyGuidance(noisePred, batch, g, phi, out);
      expectClose(out, naiveGuidance(noisePred, batch, g, phi), 1e-5);
      expect(noisePred).toEqual(before);
    });
  }

  it('g=0 gives the unconditional prediction, g=1 the text prediction', () => {
    const out = new Float32Array(batch * size);
    applyGuidance(noisePred, batch, 0, 0, out);
    expect(out).toEqual(noisePred.subarray(0, batch * size));
    applyGuidance(noisePred, batch, 1, 0, out);
    expect(out).toEqual(noisePred.subarray(batch * size));
  });

  it('rescale φ=1 gives each sample the text prediction’s unbiased std', () => {
    const out = new Float32Array(batch * size);
    applyGuidance(noisePred, batch, 9, 1, out);
    const std = (xs: Float32Array): number => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
    };
    for (let b = 0; b < batch; b++) {
      const text = noisePred.subarray((batch + b) * size, (batch + b + 1) * size);
      expect(std(out.subarray(b * size, (b + 1) * size))).toBeCloseTo(std(text), 5);
    }
  });

  it('rejects mismatched lengths and bad parameters', () => {
    expect(() => applyGuidance(noisePred, batch, 7.5, 0, new Float32Array(size))).toThrow(/expected 2·2 samples/);
    expect(() => applyGuidance(noisePred, 0, 7.5, 0, new Float32Array(size))).toThrow(/batch 0/);
    expect(() => applyGuidance(noisePred, batch, 7.5, 1.5, new Float32Array(batch * size))).toThrow(/rescale 1.5/);
    expect(() => applyGuidance(noisePred, batch, Number.NaN, 0, new Float32Array(batch * size))).toThrow(/scale NaN/);
  });
});
