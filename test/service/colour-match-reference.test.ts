// The fast colour match (cube root by table + Newton, sRGB encode by bucket table, written out per pixel) against the
// plain formulas written here: Math.cbrt, Math.pow, a search over the 256 sRGB levels, every pixel converted on its
// own. Same ring statistics, same map; bytes may differ only where a value sits within ~1e-15 of a rounding boundary
// (at most one level, at most one byte in 100 000; in practice none).
import { describe, expect, it } from 'vitest';
import { Random } from '../../service/engines/classic/random';
import { colourMatchArea, labToRgb, matchColours, rgbToLab } from '../../service/imaging/colour-match';

const decode = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const E = 216 / 24389;
const K = 24389 / 27;

function toLab(r: number, g: number, b: number): number[] {
  const [lr, lg, lb] = [r, g, b].map((v) => decode(v / 255));
  const f = (t: number) => (t > E ? Math.cbrt(t) : (K * t + 16) / 116);
  const fx = f((0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / 0.95047);
  const fy = f(0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb);
  const fz = f((0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) / 1.08883);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** Where each byte's interval [(b − ½)/255, (b + ½)/255) ends, in linear light. */
const UPPER = Array.from({ length: 255 }, (_, b) => decode((b + 0.5) / 255));

/** The byte whose interval holds the encoded value, found by walking the levels. */
function toByte(linear: number): number {
  let b = 0;
  while (b < 255 && UPPER[b] <= linear) b++;
  return b;
}

function fromLab(l: number, a: number, b: number): number[] {
  const inv = (t: number) => (t ** 3 > E ? t ** 3 : (116 * t - 16) / K);
  const fy = (l + 16) / 116;
  const x = 0.95047 * inv(fy + a / 500);
  const y = inv(fy);
  const z = 1.08883 * inv(fy - b / 200);
  return [
    3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
    -0.969266 * x + 1.8760108 * y + 0.041556 * z,
    0.0556434 * x - 0.2040259 * y + 1.0572252 * z,
  ].map(toByte);
}

interface Scene {
  generated: Uint8Array;
  original: { width: number; channels: 3 | 4; data: Uint8Array };
  mask: Uint8Array;
  area: { x: number; y: number; width: number; height: number };
}

/** The match as first written: ring statistics on the same strided samples, then every masked pixel converted. */
function reference({ generated, original, mask, area }: Scene): Uint8Array | null {
  const out = generated.slice();
  const sums = new Array<number>(12).fill(0);
  const stride = Math.max(1, Math.floor((area.width * area.height) / 65_536)) | 1;
  let n = 0;
  for (let i = 0; i < area.width * area.height; i += stride) {
    const [y, x] = [area.y + Math.floor(i / area.width), area.x + (i % area.width)];
    const p = y * original.width + x;
    if (mask[p] !== 0) continue;
    n++;
    const g = i * 3;
    const o = p * original.channels;
    const labs = [toLab(generated[g], generated[g + 1], generated[g + 2]), toLab(original.data[o], original.data[o + 1], original.data[o + 2])];
    labs.forEach((lab, k) => lab.forEach((v, c) => ((sums[6 * k + c] += v), (sums[6 * k + 3 + c] += v * v))));
  }
  if (n < 64) return null;
  const map = [0, 1, 2].map((c) => {
    const [meanG, meanO] = [sums[c] / n, sums[6 + c] / n];
    const stdG = Math.sqrt(Math.max(0, sums[3 + c] / n - meanG * meanG));
    const stdO = Math.sqrt(Math.max(0, sums[9 + c] / n - meanO * meanO));
    const gain = stdG > 1e-3 ? Math.min(2, Math.max(0.5, stdO / stdG)) : 1;
    return { gain, offset: meanO - gain * meanG };
  });
  if (map.every(({ gain, offset }) => Math.abs(gain - 1) <= 1e-4 && Math.abs(offset) <= 1e-2)) return null;
  for (let y = 0; y < area.height; y++) {
    for (let x = 0; x < area.width; x++) {
      if (mask[(area.y + y) * original.width + area.x + x] === 0) continue;
      const g = (y * area.width + x) * 3;
      const lab = toLab(generated[g], generated[g + 1], generated[g + 2]).map((v, c) => map[c].gain * v + map[c].offset);
      out.set(fromLab(lab[0], lab[1], lab[2]), g);
    }
  }
  return out;
}

/** A crop with an elliptic selection; the generated area carries a cast and, in `smooth` scenes, gradients. */
function scene(width: number, height: number, channels: 3 | 4, seed: number, smooth: boolean): Scene {
  const random = new Random(seed);
  const next = () => random.next();
  const data = Uint8Array.from({ length: width * height * channels }, () => (next() * 256) | 0);
  const mask = new Uint8Array(width * height);
  const [cx, cy, rx, ry] = [width * 0.45, height * 0.55, width * 0.3, height * 0.25];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < 1) mask[y * width + x] = 1 + ((x * y) % 255);
  const bounds = { x: Math.floor(cx - rx), y: Math.floor(cy - ry), width: Math.ceil(2 * rx) + 1, height: Math.ceil(2 * ry) + 1 };
  const area = colourMatchArea(bounds, { width, height });
  const generated = new Uint8Array(area.width * area.height * 3);
  for (let y = 0; y < area.height; y++) {
    for (let x = 0; x < area.width; x++) {
      const o = ((area.y + y) * width + area.x + x) * channels;
      const g = (y * area.width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const base = smooth ? 40 + ((x * (c + 2) + y * (3 - c)) % 170) + ((next() * 6) | 0) : data[o + c];
        generated[g + c] = Math.min(255, Math.max(0, Math.round(base * (1 + 0.08 * (c - 1)) + 12 - 9 * c)));
      }
    }
  }
  return { generated, original: { width, channels, data }, mask, area };
}

describe('fast colour match equals the plain formulas', () => {
  it('converts sRGB → LAB like Math.cbrt (to 1e-12) and LAB → sRGB to the same byte, over random colours', () => {
    const random = new Random(3);
    const next = () => random.next();
    const lab = new Float64Array(3);
    const back = new Uint8Array(3);
    let worstLab = 0;
    const wrongBytes: string[] = [];
    for (let k = 0; k < 20_000; k++) {
      const [r, g, b] = [next(), next(), next()].map((v) => (v * 256) | 0);
      rgbToLab(r, g, b, lab);
      toLab(r, g, b).forEach((v, c) => (worstLab = Math.max(worstLab, Math.abs(lab[c] - v))));
      const shifted = [lab[0] * 1.1 - 3, lab[1] + 20 * (next() - 0.5), lab[2] + 20 * (next() - 0.5)];
      labToRgb(shifted[0], shifted[1], shifted[2], back, 0);
      const expected = fromLab(shifted[0], shifted[1], shifted[2]);
      if (expected.some((v, c) => v !== back[c])) wrongBytes.push(`${shifted.join(',')} → ${Array.from(back)}, not ${expected}`);
    }
    expect(worstLab).toBeLessThan(1e-12);
    expect(wrongBytes).toEqual([]);
  });

  for (const [label, width, height, channels, smooth] of [
    ['noise, RGB crop', 97, 83, 3, false],
    ['gradients, RGBA crop', 120, 71, 4, true],
    ['noise, odd sizes, RGBA', 61, 129, 4, false],
  ] as const) {
    it(`corrects the same pixels to the same bytes (${label}, ${width}×${height})`, () => {
      const input = scene(width, height, channels, width * height, smooth);
      const expected = reference(input);
      expect(expected).not.toBeNull();
      const before = input.generated.slice();
      expect(matchColours(input)).toBe(true);
      let differing = 0;
      for (let i = 0; i < before.length; i++) {
        const d = Math.abs(input.generated[i] - expected![i]);
        expect(d, `byte ${i}`).toBeLessThanOrEqual(1);
        if (d) differing++;
      }
      expect(differing).toBeLessThanOrEqual(before.length / 100_000);
      expect(input.generated).not.toEqual(before);
    });
  }
});
