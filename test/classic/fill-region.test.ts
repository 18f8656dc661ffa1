/** A small hole in a large crop is filled from its surroundings only: the region fill equals a fill of that region. */
import { describe, expect, it } from 'vitest';
import { BINARIZE_THRESHOLD } from '../../core/mask';
import { cutRegion, fillRegion } from '../../service/engines/classic/fill-region';
import { DEFAULT_CLASSIC_SETTINGS } from '../../service/engines/classic/settings';
import { fill, pixelsWhere, samePixels } from './helpers';
import { rectMask, stripes } from './textures';

const MARGIN = DEFAULT_CLASSIC_SETTINGS.minContextMargin;

describe('fill region', () => {
  it('is the hole bounds (mask ≥ 128) grown by the longer hole side, at least the minimum margin, within the crop', () => {
    const mask = new Uint8Array(400 * 300);
    expect(fillRegion(mask, 400, 300, BINARIZE_THRESHOLD, MARGIN)).toBeNull();
    mask[100 * 400 + 200] = 127; // below the threshold: kept, not filled
    expect(fillRegion(mask, 400, 300, BINARIZE_THRESHOLD, MARGIN)).toBeNull();
    mask.set(new Uint8Array(10).fill(255), 150 * 400 + 180); // a 10×1 hole
    expect(fillRegion(mask, 400, 300, BINARIZE_THRESHOLD, MARGIN)).toEqual({ x: 180 - MARGIN, y: 150 - MARGIN, width: 10 + 2 * MARGIN, height: 1 + 2 * MARGIN });
    const wide = rectMask(400, 300, 10, 200, 100, 20);
    // Margin = the longer side (100), clamped at the crop's edges.
    expect(fillRegion(wide, 400, 300, BINARIZE_THRESHOLD, MARGIN)).toEqual({ x: 0, y: 100, width: 210, height: 200 });
  });

  it('fills a small hole in a large crop exactly as it fills the region around it, and keeps the rest byte for byte', async () => {
    const width = 320;
    const height = 256;
    const picture = stripes(width, height, 12, Math.PI / 5);
    const mask = rectMask(width, height, 150, 110, 24, 20);
    const region = fillRegion(mask, width, height, BINARIZE_THRESHOLD, MARGIN)!;
    expect(region.width * region.height).toBeLessThan((width * height) / 2);

    const whole = (await fill(picture, mask, [3])).images[0];
    const part = (await fill({ width: region.width, height: region.height, rgb: cutRegion(picture.rgb, width, 3, region) }, cutRegion(mask, width, 1, region), [3])).images[0];
    expect([whole.width, whole.height]).toEqual([width, height]);
    expect(samePixels(whole.rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
    expect(Buffer.from(cutRegion(whole.rgb, width, 3, region)).equals(Buffer.from(part.rgb))).toBe(true);
  });
});
