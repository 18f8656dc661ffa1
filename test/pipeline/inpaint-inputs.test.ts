import { describe, expect, it } from 'vitest';
import { checkWorkingSize, prepareInpaintInputs } from '../../service/pipeline/inpaint-inputs';
import { buildTimeIds } from '../../service/pipeline/time-ids';
import { LruCache } from '../../service/pipeline/lru-cache';
import { latentPreview } from '../../service/pipeline/latent-preview';

describe('prepareInpaintInputs', () => {
  const width = 16;
  const height = 8;

  function inputs(maskAt: (x: number, y: number) => number) {
    const rgb = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) rgb.set([255, 0, 51], p * 3);
    const mask = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) mask[y * width + x] = maskAt(x, y);
    return prepareInpaintInputs(width, height, rgb, mask);
  }

  it('normalises the image to [-1,1] in NCHW order', () => {
    const { image } = inputs(() => 0);
    const plane = width * height;
    expect(image[0]).toBe(1);
    expect(image[plane]).toBe(-1);
    expect(image[2 * plane]).toBeCloseTo(51 / 127.5 - 1, 6);
  });

  it('binarises the mask at 128 and fills masked pixels with 0 (mid-grey)', () => {
    const { maskedImage } = inputs((x) => (x === 0 ? 127 : x === 1 ? 128 : 0));
    expect(maskedImage[0]).toBe(1); // 127: kept
    expect(maskedImage[1]).toBe(0); // 128: repainted
    expect(maskedImage[2]).toBe(1);
  });

  it('takes the top-left pixel of each 8×8 block for the latent mask', () => {
    // Block 0 is set everywhere except its top-left pixel; block 1 only at its top-left pixel.
    const { latentMask } = inputs((x, y) => (x < 8 ? (x === 0 && y === 0 ? 0 : 255) : x === 8 && y === 0 ? 255 : 0));
    expect([...latentMask]).toEqual([0, 1]);
  });

  it('rejects sizes that are not multiples of 8 and mismatched buffers', () => {
    expect(() => checkWorkingSize(100, 64)).toThrow(/working width 100 is not a positive multiple of 8/);
    expect(() => checkWorkingSize(64, 0)).toThrow(/working height 0/);
    expect(() => prepareInpaintInputs(8, 8, new Uint8Array(10), new Uint8Array(64))).toThrow(/image has 10 bytes/);
  });
});

describe('buildTimeIds', () => {
  it('is [H, W, 0, 0, H, W] in (height, width) order for both rows', () => {
    const ids = buildTimeIds(768, 1024, false);
    expect([...ids.positive]).toEqual([768, 1024, 0, 0, 768, 1024]);
    expect([...ids.negative]).toEqual([768, 1024, 0, 0, 768, 1024]);
  });

  it('uses aesthetic scores for refiner-style models', () => {
    const ids = buildTimeIds(512, 512, true);
    expect([...ids.positive]).toEqual([512, 512, 0, 0, 6]);
    expect([...ids.negative]).toEqual([512, 512, 0, 0, 2.5]);
  });
});

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });
});

describe('latentPreview', () => {
  it('maps latents to RGB at latent resolution', () => {
    const latents = new Float32Array(4 * 6); // 3×2 latents, all zero: the bias colour
    const preview = latentPreview(latents, 3, 2);
    expect(preview.width).toBe(3);
    expect(preview.height).toBe(2);
    expect(preview.rgb.length).toBe(18);
    expect([...preview.rgb.subarray(0, 3)]).toEqual([Math.round((0.1084 * 0.5 + 0.5) * 255), Math.round((-0.0175 * 0.5 + 0.5) * 255), Math.round((-0.0011 * 0.5 + 0.5) * 255)]);
  });
});
