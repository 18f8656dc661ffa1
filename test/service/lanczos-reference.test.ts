// The fast resampler (cached weights, per-channel passes, int32 arithmetic) against a straightforward Pillow
// Lanczos-3 written here from the description of libImaging/Resample.c: per output pixel and channel, a plain sum
// over its taps, floor division by 2^22, clamp; horizontal pass first into an 8-bit image, then vertical; a region is
// cut out of the whole result. Byte for byte, on random images of odd sizes, every channel count, up and down.
import { describe, expect, it } from 'vitest';
import { Random } from '../../service/engines/classic/random';
import { resampleLanczos3 } from '../../service/imaging/lanczos';
import type { Pixels } from '../../service/imaging/pixels';

const PRECISION = 2 ** 22;

function lanczos(x: number): number {
  if (x < -3 || x >= 3) return 0;
  const sinc = (v: number) => (v === 0 ? 1 : Math.sin(Math.PI * v) / (Math.PI * v));
  return sinc(x) * sinc(x / 3);
}

const tapsMemo = new Map<string, { first: number; weights: number[] }>();

/** Pillow's taps for output i of an axis: first input, fixed-point weights (memoised: the reference is slow enough). */
function taps(inSize: number, outSize: number, i: number): { first: number; weights: number[] } {
  const key = `${inSize} ${outSize} ${i}`;
  const known = tapsMemo.get(key);
  if (known) return known;
  const scale = inSize / outSize;
  const stretch = Math.max(scale, 1);
  const support = 3 * stretch;
  const centre = (i + 0.5) * scale;
  const first = Math.max(Math.trunc(centre - support + 0.5), 0);
  const last = Math.min(Math.trunc(centre + support + 0.5), inSize);
  const real: number[] = [];
  for (let j = first; j < last; j++) real.push(lanczos((j - centre + 0.5) / stretch));
  const sum = real.reduce((a, b) => a + b, 0);
  const weights = real.map((w) => (sum === 0 ? w : w / sum)).map((w) => Math.trunc(w < 0 ? w * PRECISION - 0.5 : w * PRECISION + 0.5));
  tapsMemo.set(key, { first, weights });
  return { first, weights };
}

/** One pass along x (horizontal) or y, all channels; unchanged sizes are skipped as Pillow does. */
function pass(image: Pixels, outWidth: number, outHeight: number): Pixels {
  const { width, height, channels, data } = image;
  const horizontal = outWidth !== width;
  const out = new Uint8Array(outWidth * outHeight * channels);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const { first, weights } = horizontal ? taps(width, outWidth, x) : taps(height, outHeight, y);
      for (let c = 0; c < channels; c++) {
        let sum = PRECISION / 2;
        weights.forEach((w, t) => {
          const p = horizontal ? y * width + first + t : (first + t) * width + x;
          sum += w * data[p * channels + c];
        });
        out[(y * outWidth + x) * channels + c] = Math.min(255, Math.max(0, Math.floor(sum / PRECISION)));
      }
    }
  }
  return { width: outWidth, height: outHeight, channels, data: out };
}

function reference(image: Pixels, width: number, height: number): Pixels {
  const across = image.width === width ? image : pass(image, width, image.height);
  return across.height === height ? across : pass(across, width, height);
}

function randomImage(width: number, height: number, channels: 1 | 3 | 4, seed: number): Pixels {
  const random = new Random(seed);
  return { width, height, channels, data: Uint8Array.from({ length: width * height * channels }, () => random.int(256)) };
}

function cut(image: Pixels, region: { x: number; y: number; width: number; height: number }): Uint8Array {
  const { width, channels, data } = image;
  const out = new Uint8Array(region.width * region.height * channels);
  for (let y = 0; y < region.height; y++) {
    const from = ((region.y + y) * width + region.x) * channels;
    out.set(data.subarray(from, from + region.width * channels), y * region.width * channels);
  }
  return out;
}

const CASES: [number, number, number, number][] = [
  [37, 23, 18, 11], // down ≈2×, odd
  [40, 40, 20, 20], // exactly 2× down
  [20, 20, 40, 40], // exactly 2× up
  [13, 29, 31, 12], // up across, down along
  [50, 17, 7, 17], // strong reduction, one axis unchanged
  [17, 9, 17, 25], // only vertical, up
  [3, 2, 11, 7], // fewer pixels than taps
  [64, 48, 61, 47], // barely smaller: rows and columns between taps
];

describe('fast Lanczos-3 equals the plain reference, byte for byte', () => {
  for (const channels of [1, 3, 4] as const) {
    it(`${channels} channel(s): whole images and regions at ${CASES.length} size pairs`, () => {
      CASES.forEach(([w, h, ow, oh], k) => {
        const image = randomImage(w, h, channels, 1 + k * 7 + channels);
        const expected = reference(image, ow, oh);
        const actual = resampleLanczos3(image, { width: ow, height: oh });
        expect([actual.width, actual.height, actual.channels]).toEqual([ow, oh, channels]);
        expect(Buffer.from(actual.data).equals(Buffer.from(expected.data)), `${w}×${h} → ${ow}×${oh}`).toBe(true);
        const region = { x: Math.floor(ow / 3), y: Math.floor(oh / 4), width: Math.max(1, ow - Math.floor(ow / 3) - 1), height: Math.ceil(oh / 2) };
        const part = resampleLanczos3(image, { width: ow, height: oh }, region);
        expect(Buffer.from(part.data).equals(Buffer.from(cut(expected, region))), `${w}×${h} → ${ow}×${oh}, region`).toBe(true);
      });
    });
  }

  it('gives the same bytes for rows wider than the copy chunk (1 MiB: the source goes in several chunks)', () => {
    for (const [w, h, channels, ow, oh] of [
      [2100, 530, 1, 700, 177],
      [1500, 260, 3, 499, 87],
    ] as const) {
      const image = randomImage(w, h, channels, w + h);
      const expected = reference(image, ow, oh);
      const actual = resampleLanczos3(image, { width: ow, height: oh });
      expect(Buffer.from(actual.data).equals(Buffer.from(expected.data)), `${w}×${h}×${channels}`).toBe(true);
    }
  });

  it('gives the same bytes when the same size pair comes again (cached weights)', () => {
    const image = randomImage(33, 21, 3, 99);
    const first = resampleLanczos3(image, { width: 15, height: 40 });
    const other = resampleLanczos3(randomImage(33, 21, 3, 5), { width: 15, height: 40 });
    const again = resampleLanczos3(image, { width: 15, height: 40 });
    expect(Buffer.from(again.data).equals(Buffer.from(first.data))).toBe(true);
    expect(Buffer.from(other.data).equals(Buffer.from(first.data))).toBe(false);
    expect(Buffer.from(first.data).equals(Buffer.from(reference(image, 15, 40).data))).toBe(true);
  });
});
