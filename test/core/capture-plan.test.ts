import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPTURE_SETTINGS, featherReach, planCapture } from '../../core/capture-plan';
import { containsRect, contextCrop, MAX_TRANSFER_PIXELS } from '../../core/geometry';
import type { Rect } from '../../core/geometry';
import { adjustMask, boxRadii, featherMask, growMask } from '../../core/mask-adjust';

const doc = { width: 4000, height: 3000 };
const sel: Rect = { x: 1800, y: 1400, width: 200, height: 100 };

describe('planCapture', () => {
  it('auto padding is the context-crop rule; the plan carries the clamped selection and no explicit padding', () => {
    const plan = planCapture(doc, sel, DEFAULT_CAPTURE_SETTINGS)!;
    expect(plan.crop).toEqual(contextCrop(sel, doc));
    expect(plan.selection).toEqual(sel);
    expect(plan.maskBounds).toEqual(sel);
    expect(plan.transfer).toEqual({ width: plan.crop.width, height: plan.crop.height });
    expect(plan.mask).toEqual({ grow: 0, feather: 0 });
    expect(plan.contextPadding).toBeNull();
  });

  it('explicit padding: exactly that much context around the selection (then grown to the bucket aspect)', () => {
    const plan = planCapture(doc, sel, { ...DEFAULT_CAPTURE_SETTINGS, contextPadding: 50 })!;
    expect(plan.contextPadding).toBe(50);
    // 200 + 2·50 = 300 wide, 200 high; the nearest bucket aspect (1216×832) grows only the height.
    expect(plan.crop.width).toBe(300);
    expect(plan.crop.x).toBe(1750);
    expect(plan.crop.height).toBeGreaterThanOrEqual(200);
    expect(containsRect(plan.crop, sel)).toBe(true);
    // No minimum crop side: a small padding gives a small crop, unlike auto (≥ 512).
    expect(plan.crop.width).toBeLessThan(planCapture(doc, sel, DEFAULT_CAPTURE_SETTINGS)!.crop.width);
    const none = planCapture(doc, sel, { ...DEFAULT_CAPTURE_SETTINGS, contextPadding: 0 })!;
    expect(none.crop.x).toBe(sel.x);
    expect(none.crop.width).toBe(sel.width);
  });

  it('grow and feather widen the mask bounds and the crop around them', () => {
    const plan = planCapture(doc, sel, { contextPadding: 10, maskGrow: 12, maskFeather: 4 })!;
    const reach = 12 + featherReach(4);
    expect(reach).toBe(24);
    expect(plan.maskBounds).toEqual({ x: sel.x - reach, y: sel.y - reach, width: sel.width + 2 * reach, height: sel.height + 2 * reach });
    expect(plan.crop.x).toBe(sel.x - reach - 10);
    expect(plan.crop.width).toBe(sel.width + 2 * reach + 20);
    expect(containsRect(plan.crop, plan.maskBounds)).toBe(true);
    expect(plan.mask).toEqual({ grow: 12, feather: 4 });
  });

  it('scales grow and feather to the transfer when the crop is downscaled', () => {
    const big = { x: 100, y: 100, width: 3800, height: 2800 };
    const plan = planCapture(doc, big, { contextPadding: 'auto', maskGrow: 20, maskFeather: 10 })!;
    expect(plan.transfer.width * plan.transfer.height).toBeLessThanOrEqual(MAX_TRANSFER_PIXELS);
    const scale = plan.transfer.width / plan.crop.width;
    expect(scale).toBeLessThan(1);
    expect(plan.mask.grow).toBe(Math.round(20 * scale));
    expect(plan.mask.feather).toBeCloseTo(10 * scale, 10);
  });

  it('keeps everything inside the document at its edges', () => {
    const corner = { x: -30, y: 2950, width: 80, height: 100 };
    for (const contextPadding of ['auto', 0, 100, 5000] as const) {
      const plan = planCapture(doc, corner, { contextPadding, maskGrow: 40, maskFeather: 8 })!;
      expect(plan.selection).toEqual({ x: 0, y: 2950, width: 50, height: 50 });
      expect(plan.maskBounds.x).toBe(0);
      expect(plan.maskBounds.y + plan.maskBounds.height).toBe(3000);
      expect(containsRect({ x: 0, y: 0, ...doc }, plan.crop)).toBe(true);
      expect(containsRect(plan.crop, plan.maskBounds)).toBe(true);
      expect(plan.crop.x).toBe(0);
      expect(plan.crop.y + plan.crop.height).toBe(3000);
    }
  });

  it('is null for a selection off the canvas', () => {
    expect(planCapture(doc, { x: 5000, y: 10, width: 10, height: 10 }, DEFAULT_CAPTURE_SETTINGS)).toBeNull();
  });
});

describe('mask grow and feather', () => {
  it('grows by exactly r pixels (a square), leaving values elsewhere alone', () => {
    const w = 9, h = 7;
    const mask = new Uint8Array(w * h);
    mask[3 * w + 4] = 255;
    mask[0] = 100;
    const grown = growMask(mask, w, h, 2);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const expected = Math.abs(x - 4) <= 2 && Math.abs(y - 3) <= 2 ? 255 : x <= 2 && y <= 2 ? 100 : 0;
        expect(grown[y * w + x], `${x},${y}`).toBe(expected);
      }
    }
    expect(growMask(mask, w, h, 0)).toBe(mask);
  });

  it('grows across block boundaries of a long line like a brute-force maximum', () => {
    const w = 101, h = 1;
    const mask = Uint8Array.from({ length: w }, (_, i) => (i * 37) % 256);
    const r = 6;
    const grown = growMask(mask, w, h, r);
    for (let i = 0; i < w; i++) {
      let m = 0;
      for (let j = Math.max(0, i - r); j <= Math.min(w - 1, i + r); j++) m = Math.max(m, mask[j]);
      expect(grown[i]).toBe(m);
    }
  });

  it('box radii reproduce the Gaussian variance', () => {
    // Integer box widths are coarse for small sigma (σ = 1 gets 2/3 of the variance), close from σ ≈ 2 on.
    for (const [sigma, tolerance] of [[1, 0.35], [2.5, 0.1], [4, 0.1], [10, 0.05]]) {
      const variance = boxRadii(sigma).reduce((v, r) => v + ((2 * r + 1) ** 2 - 1) / 12, 0);
      expect(Math.abs(variance - sigma * sigma) / (sigma * sigma)).toBeLessThan(tolerance);
    }
  });

  it('feathers a hard edge into a monotone ramp centred on it, mass preserved', () => {
    const w = 64, h = 4;
    const mask = Uint8Array.from({ length: w * h }, (_, i) => (i % w < 32 ? 255 : 0));
    const soft = featherMask(mask, w, h, 4);
    const row = [...soft.subarray(0, w)];
    for (let x = 1; x < w; x++) expect(row[x]).toBeLessThanOrEqual(row[x - 1]);
    expect(row[0]).toBe(255);
    expect(row[w - 1]).toBe(0);
    expect(Math.abs(row[31] + row[32] - 255)).toBeLessThanOrEqual(2);
    expect(row.filter((v) => v > 0 && v < 255).length).toBeGreaterThan(10);
    const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
    expect(Math.abs(sum(soft) - sum(mask)) / sum(mask)).toBeLessThan(0.01);
  });
});

describe('adjustMask', () => {
  it('processes only around the selected pixels, with the same result as the whole mask', () => {
    const w = 120, h = 90;
    const mask = new Uint8Array(w * h);
    for (let y = 30; y < 50; y++) for (let x = 40; x < 70; x++) mask[y * w + x] = y === 30 ? 128 : 255;
    for (const adjust of [{ grow: 3, feather: 0 }, { grow: 0, feather: 2.5 }, { grow: 5, feather: 4 }]) {
      const whole = featherMask(growMask(mask, w, h, adjust.grow), w, h, adjust.feather);
      expect([...adjustMask(mask, w, h, adjust)]).toEqual([...whole]);
    }
    // Touching the edge: clamped there as the whole-mask passes clamp.
    const edge = new Uint8Array(w * h);
    for (let y = 0; y < 10; y++) edge.fill(255, y * w, y * w + 15);
    expect([...adjustMask(edge, w, h, { grow: 2, feather: 3 })]).toEqual([...featherMask(growMask(edge, w, h, 2), w, h, 3)]);
    expect(adjustMask(new Uint8Array(w * h), w, h, { grow: 2, feather: 3 }).every((v) => v === 0)).toBe(true);
    expect(adjustMask(mask, w, h, { grow: 0, feather: 0 })).toBe(mask);
  });
});
