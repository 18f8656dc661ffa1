import { describe, expect, it } from 'vitest';
import { createGenerator, Xoshiro128StarStar } from '../../service/pipeline/random';

function draw(seed: number, count: number): Float32Array {
  const out = new Float32Array(count);
  createGenerator(seed).normal(out);
  return out;
}

describe('xoshiro128**', () => {
  it('matches the reference implementation from state {1, 2, 3, 4}', () => {
    const source = new Xoshiro128StarStar([1, 2, 3, 4]);
    const outputs = Array.from({ length: 10 }, () => source.nextUint32());
    expect(outputs).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  it('fill() gives exactly the outputs of as many nextUint32() calls', () => {
    const a = new Xoshiro128StarStar([1, 2, 3, 4]);
    const b = new Xoshiro128StarStar([1, 2, 3, 4]);
    const block = new Uint32Array(37);
    a.fill(block);
    a.fill(block.subarray(0, 5));
    const expected = Array.from({ length: 42 }, () => b.nextUint32());
    expect([...block.subarray(5), ...block.subarray(0, 5)].slice(0, 32)).toEqual(expected.slice(5, 37));
    expect(Array.from(block.subarray(0, 5))).toEqual(expected.slice(37, 42));
    expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it('refuses the all-zero state', () => {
    expect(() => new Xoshiro128StarStar([0, 0, 0, 0])).toThrow(/all zero/);
  });
});

describe('createGenerator', () => {
  it('gives the same sequence for the same seed, however it is split into calls', () => {
    const whole = draw(1234, 1001);
    expect(draw(1234, 1001)).toEqual(whole);
    const generator = createGenerator(1234);
    const parts = [7, 1, 0, 500, 493].map((n) => {
      const part = new Float32Array(n);
      generator.normal(part);
      return Array.from(part);
    });
    expect(Float32Array.from(parts.flat())).toEqual(whole);
  });

  it('draws words ahead in blocks without changing the stream: one call or one value at a time agree', () => {
    const one = createGenerator(99);
    const single = new Float32Array(1);
    const expected = Float32Array.from({ length: 20001 }, () => {
      one.normal(single);
      return single[0];
    });
    const generator = createGenerator(99);
    const parts = [4095, 1, 8193, 7712].map((n) => {
      const part = new Float32Array(n);
      generator.normal(part);
      return Array.from(part);
    });
    expect(Float32Array.from(parts.flat())).toEqual(expected);
  });

  it('follows the normal CDF in every bin, tails included (χ² over 10⁶ samples)', () => {
    // Φ by Simpson's rule on the density: exact to ~1e-12, independent of the generator's tables.
    const phi = (x: number): number => {
      if (!Number.isFinite(x)) return x > 0 ? 1 : 0;
      const steps = 2000;
      const h = Math.abs(x) / steps;
      let sum = 0;
      for (let i = 0; i <= steps; i++) {
        const t = i * h;
        const w = i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2;
        sum += w * Math.exp(-0.5 * t * t);
      }
      const half = ((sum * h) / 3) / Math.sqrt(2 * Math.PI);
      return x >= 0 ? 0.5 + half : 0.5 - half;
    };
    // Edges every 0.5σ out to ±3.5σ: the outer bins are the ziggurat's tail (beyond R ≈ 3.44) and wedges.
    const edges = [-Infinity, ...Array.from({ length: 15 }, (_, i) => -3.5 + 0.5 * i), Infinity];
    const n = 1_000_000;
    const values = draw(7, n);
    const counts = new Array(edges.length - 1).fill(0);
    for (const v of values) {
      let b = 0;
      while (v >= edges[b + 1]) b++;
      counts[b]++;
    }
    let chi2 = 0;
    for (let b = 0; b < counts.length; b++) {
      const expected = n * (phi(edges[b + 1]) - phi(edges[b]));
      chi2 += (counts[b] - expected) ** 2 / expected;
    }
    // 15 degrees of freedom: P(χ² > 37.7) = 0.001.
    expect(chi2).toBeLessThan(37.7);
    // Beyond ±3.5σ: expected 465, standard deviation ≈ 21.6.
    expect(Math.abs(counts[0] + counts[counts.length - 1] - 465.3)).toBeLessThan(110);
  });

  it('gives unrelated sequences for neighbouring seeds', () => {
    const a = draw(0, 4096);
    const b = draw(1, 4096);
    let dot = 0;
    for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
    // Correlation of independent normals: standard error 1/√4096 ≈ 0.016.
    expect(Math.abs(dot / a.length)).toBeLessThan(0.08);
    expect(Array.from(a.subarray(0, 8))).not.toEqual(Array.from(b.subarray(0, 8)));
  });

  it('is standard normal: moments and the 1σ / 2σ / 3σ masses over 10⁶ samples', () => {
    const n = 1_000_000;
    const values = draw(20240601, n);
    let sum = 0;
    let sum2 = 0;
    let sum3 = 0;
    let sum4 = 0;
    const within = [0, 0, 0];
    let nonFinite = 0;
    for (const v of values) {
      if (!Number.isFinite(v)) nonFinite++;
      sum += v;
      sum2 += v * v;
      sum3 += v * v * v;
      sum4 += v * v * v * v;
      const a = Math.abs(v);
      if (a < 1) within[0]++;
      if (a < 2) within[1]++;
      if (a < 3) within[2]++;
    }
    expect(nonFinite).toBe(0);
    const mean = sum / n;
    const variance = sum2 / n - mean * mean;
    // Standard errors at n = 10⁶: mean 0.001, variance 0.0014, skewness 0.0025, kurtosis 0.005; limits are ~5 SE.
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1)).toBeLessThan(0.007);
    expect(Math.abs(sum3 / n)).toBeLessThan(0.015);
    expect(Math.abs(sum4 / n - 3)).toBeLessThan(0.03);
    expect(within[0] / n).toBeCloseTo(0.682689, 2);
    expect(within[1] / n).toBeCloseTo(0.954500, 2);
    expect(within[2] / n).toBeCloseTo(0.997300, 3);
  });

  it('keeps its stream: the first values for seed 42 are fixed (results stay reproducible across releases)', () => {
    expect(Array.from(draw(42, 4), (v) => Number(v.toFixed(6)))).toEqual(GOLDEN_SEED_42);
  });

  it('accepts exactly the 32-bit unsigned seeds', () => {
    expect(() => createGenerator(0)).not.toThrow();
    expect(() => createGenerator(2 ** 32 - 1)).not.toThrow();
    expect(() => createGenerator(-1)).toThrow(/seed -1/);
    expect(() => createGenerator(2 ** 32)).toThrow(/seed 4294967296/);
    expect(() => createGenerator(1.5)).toThrow(/seed 1.5/);
  });
});

/** Recorded from this implementation (xoshiro128** + splitmix32 + ziggurat); a change here changes every seed. */
const GOLDEN_SEED_42 = [-0.857433, 0.561084, 0.630697, -0.393034];
