import { describe, expect, it } from 'vitest';
import {
  SDXL_BUCKETS,
  MIN_CROP_SIDE,
  containsRect,
  contextCrop,
  pickWorkingSize,
  placementProblems,
  transferSize,
  type Rect,
  type Size,
} from '../../core/geometry';

const aspect = (s: Size) => s.width / s.height;

describe('pickWorkingSize', () => {
  it.each([
    [{ width: 1000, height: 1000 }, { width: 1024, height: 1024 }],
    [{ width: 1300, height: 1000 }, { width: 1152, height: 896 }],
    [{ width: 1000, height: 1300 }, { width: 896, height: 1152 }],
    [{ width: 1500, height: 1000 }, { width: 1216, height: 832 }],
    [{ width: 1800, height: 1000 }, { width: 1344, height: 768 }],
    [{ width: 300, height: 100 }, { width: 1536, height: 640 }],
    [{ width: 100, height: 5000 }, { width: 640, height: 1536 }],
  ])('%o → %o', (crop, expected) => {
    expect(pickWorkingSize(crop)).toEqual(expected);
  });

  it('every bucket is a multiple of 64 and about one megapixel', () => {
    for (const b of SDXL_BUCKETS) {
      expect(b.width % 64).toBe(0);
      expect(b.height % 64).toBe(0);
      expect(b.width * b.height).toBeGreaterThan(0.9 * 1024 * 1024);
      expect(b.width * b.height).toBeLessThan(1.05 * 1024 * 1024);
    }
  });

  it('is symmetric under transposition', () => {
    for (const [w, h] of [[1200, 700], [640, 480], [2000, 900]]) {
      const a = pickWorkingSize({ width: w, height: h });
      const b = pickWorkingSize({ width: h, height: w });
      expect(b).toEqual({ width: a.height, height: a.width });
    }
  });
});

describe('contextCrop', () => {
  const doc = { width: 4000, height: 3000 };
  const docRect: Rect = { x: 0, y: 0, ...doc };

  function expectValid(selection: Rect, crop: Rect | null, document: Size) {
    expect(crop).not.toBeNull();
    const c = crop as Rect;
    expect(Number.isInteger(c.x) && Number.isInteger(c.y) && Number.isInteger(c.width) && Number.isInteger(c.height)).toBe(true);
    expect(containsRect({ x: 0, y: 0, ...document }, c)).toBe(true);
    const clamped = {
      x: Math.max(0, selection.x),
      y: Math.max(0, selection.y),
      width: Math.min(document.width, selection.x + selection.width) - Math.max(0, selection.x),
      height: Math.min(document.height, selection.y + selection.height) - Math.max(0, selection.y),
    };
    expect(containsRect(c, clamped)).toBe(true);
  }

  it('pads a centred selection symmetrically and matches a bucket aspect', () => {
    const sel = { x: 1800, y: 1300, width: 400, height: 400 };
    const crop = contextCrop(sel, doc)!;
    expectValid(sel, crop, doc);
    // 400 + 2·160 = 720 → square bucket, centred on the selection
    expect(crop).toEqual({ x: 1640, y: 1140, width: 720, height: 720 });
  });

  it('grows a wide selection vertically to the nearest bucket aspect', () => {
    const sel = { x: 1000, y: 1000, width: 1200, height: 300 };
    const crop = contextCrop(sel, doc)!;
    expectValid(sel, crop, doc);
    const bucket = pickWorkingSize(crop);
    expect(Math.abs(aspect(crop) - aspect(bucket))).toBeLessThan(0.01);
    expect(aspect(bucket)).toBeGreaterThan(1);
  });

  it('gives tiny selections at least MIN_CROP_SIDE of context', () => {
    const sel = { x: 2000, y: 1500, width: 1, height: 1 };
    const crop = contextCrop(sel, doc)!;
    expectValid(sel, crop, doc);
    expect(crop.width).toBeGreaterThanOrEqual(MIN_CROP_SIDE);
    expect(crop.height).toBeGreaterThanOrEqual(MIN_CROP_SIDE);
  });

  it.each([
    ['top-left corner', { x: 0, y: 0, width: 200, height: 150 }],
    ['bottom-right corner', { x: 3800, y: 2850, width: 200, height: 150 }],
    ['left edge', { x: 0, y: 1400, width: 100, height: 300 }],
    ['bottom edge', { x: 1500, y: 2900, width: 600, height: 100 }],
    ['partly outside (top-left)', { x: -100, y: -50, width: 300, height: 200 }],
    ['partly outside (right)', { x: 3900, y: 1000, width: 500, height: 200 }],
  ])('stays inside the document at the %s', (_name, sel) => {
    const crop = contextCrop(sel, doc)!;
    expectValid(sel, crop, doc);
  });

  it('clamps to a document smaller than the wanted crop', () => {
    const small = { width: 300, height: 200 };
    const sel = { x: 100, y: 50, width: 50, height: 50 };
    expect(contextCrop(sel, small)).toEqual({ x: 0, y: 0, width: 300, height: 200 });
  });

  it('grows the free side to a bucket aspect when a document edge cuts the other side short', () => {
    // Padding wants ~900×514 (≈ 1344×768); the document is only 600 wide. Growing the height to 600 reaches 1:1.
    const narrow = { width: 600, height: 3000 };
    const sel = { x: 50, y: 1500, width: 500, height: 100 };
    const crop = contextCrop(sel, narrow)!;
    expectValid(sel, crop, narrow);
    expect(crop).toEqual({ x: 0, y: 1250, width: 600, height: 600 });
    // The transpose behaves the same way.
    const transposed = contextCrop({ x: 1500, y: 50, width: 100, height: 500 }, { width: 3000, height: 600 });
    expect(transposed).toEqual({ x: 1250, y: 0, width: 600, height: 600 });
  });

  it('trims side padding rather than squash past the widest bucket, never cutting into the selection', () => {
    const flat = { width: 3000, height: 400 };
    const sel = { x: 1000, y: 100, width: 1200, height: 300 };
    const crop = contextCrop(sel, flat)!;
    expectValid(sel, crop, flat);
    // 400 high caps the crop; 400 × 2.4 = 960 would cut the 1200-wide selection, so it keeps exactly the selection.
    expect(crop).toEqual({ x: 1000, y: 0, width: 1200, height: 400 });

    const narrow = { x: 1000, y: 100, width: 600, height: 200 };
    expect(contextCrop(narrow, flat)).toEqual({ x: 820, y: 0, width: 960, height: 400 });

    const tall = { width: 400, height: 3000 };
    const column = { x: 100, y: 1000, width: 200, height: 600 };
    expect(contextCrop(column, tall)).toEqual({ x: 0, y: 820, width: 400, height: 960 });
  });

  it.each([
    ['zero width', { x: 100, y: 100, width: 0, height: 50 }],
    ['zero height', { x: 100, y: 100, width: 50, height: 0 }],
    ['negative size', { x: 100, y: 100, width: -20, height: 50 }],
    ['entirely left of the document', { x: -300, y: 100, width: 200, height: 50 }],
  ])('returns null for a selection with %s', (_name, sel) => {
    expect(contextCrop(sel, doc)).toBeNull();
  });

  it('clamps a selection larger than the document to the whole document', () => {
    expect(contextCrop({ x: -500, y: -500, width: 6000, height: 5000 }, doc)).toEqual(docRect);
  });

  it.each([
    [{ width: 100, height: 80 }, { x: 10, y: 10, width: 20, height: 20 }],
    [{ width: 1, height: 1 }, { x: 0, y: 0, width: 1, height: 1 }],
    [{ width: 700, height: 300 }, { x: 650, y: 250, width: 50, height: 50 }],
  ])('stays inside a document smaller than MIN_CROP_SIDE (%o)', (document, sel) => {
    const crop = contextCrop(sel, document)!;
    expectValid(sel, crop, document);
    expect(crop.height).toBe(document.height);
  });

  it('returns the whole document for a select-all', () => {
    expect(contextCrop(docRect, doc)).toEqual(docRect);
  });

  it('returns null when the selection misses the document', () => {
    expect(contextCrop({ x: 5000, y: 10, width: 10, height: 10 }, doc)).toBeNull();
  });
});

describe('transferSize', () => {
  it('keeps crops under the limit', () => {
    expect(transferSize({ width: 1500, height: 1000 }, 2048 * 2048)).toEqual({ width: 1500, height: 1000 });
  });

  it('downscales large crops to fit, keeping the aspect', () => {
    const t = transferSize({ width: 8000, height: 6000 }, 2048 * 2048);
    expect(t.width * t.height).toBeLessThanOrEqual(2048 * 2048);
    expect(t.width * t.height).toBeGreaterThan(0.99 * 2048 * 2048);
    expect(Math.abs(t.width / t.height - 8000 / 6000)).toBeLessThan(0.002);
  });
});

describe('placementProblems', () => {
  const document = { width: 4000, height: 3000 };
  const selection = { x: 1800, y: 1300, width: 400, height: 400 };
  const crop = contextCrop(selection, document)!;

  it('accepts the context crop at full and at reduced transfer size', () => {
    expect(placementProblems({ document, crop, selection }, crop)).toEqual([]);
    expect(placementProblems({ document, crop, selection }, { width: 360, height: 360 })).toEqual([]);
  });

  it('accepts every downscale transferSize produces, for crops of many aspects', () => {
    for (const [width, height] of [[720, 720], [3000, 517], [517, 3000], [4000, 3000], [1999, 1001], [8000, 13]]) {
      const placed = { x: 0, y: 0, width, height };
      const sel = { x: 0, y: 0, width: 1, height: 1 };
      for (const maxPixels of [4096, 65_536, 1_000_003, 2048 * 2048]) {
        const image = transferSize(placed, maxPixels);
        expect(placementProblems({ document: { width, height }, crop: placed, selection: sel }, image), `${width}×${height} → ${image.width}×${image.height}`).toEqual([]);
      }
    }
  });

  it('names each inconsistency', () => {
    const outside = { ...crop, x: 3900 };
    expect(placementProblems({ document, crop: outside, selection }, crop).join('; ')).toMatch(/outside the document/);
    const elsewhere = { x: 0, y: 0, width: 720, height: 720 };
    expect(placementProblems({ document, crop: elsewhere, selection }, elsewhere).join('; ')).toMatch(/does not contain the selection/);
    expect(placementProblems({ document, crop, selection }, { width: 720, height: 400 }).join('; ')).toMatch(/aspect/);
    expect(placementProblems({ document, crop, selection }, { width: 1000, height: 1000 }).join('; ')).toMatch(/larger than the crop/);
  });
});
