import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeColorImage, decodeGrayImage, encodePng, readImageInfo } from '../../service/imaging/codec';
import { resizeLanczos, toRgb, toRgbaCopy } from '../../service/imaging/resize';
import { sniffImageFormat } from '../../service/imaging/sniff';
import { movesWhenPosted } from './helpers';

describe('imaging', () => {
  it('sniffs PNG, JPEG and WebP by their magic bytes only', async () => {
    const pixels = { raw: { width: 4, height: 4, channels: 3 as const } };
    const data = new Uint8Array(48).fill(100);
    expect(sniffImageFormat(await sharp(data, pixels).png().toBuffer())).toBe('png');
    expect(sniffImageFormat(await sharp(data, pixels).jpeg().toBuffer())).toBe('jpeg');
    expect(sniffImageFormat(await sharp(data, pixels).webp().toBuffer())).toBe('webp');
    expect(sniffImageFormat(new TextEncoder().encode('GIF89a'))).toBeNull();
    expect(sniffImageFormat(new Uint8Array(0))).toBeNull();
  });

  it('applies the EXIF orientation when decoding (and in the header size)', async () => {
    // 8×4 stored with red left columns, orientation 6 (turn 90° clockwise) → 4×8 displayed with red top rows.
    const stored = new Uint8Array(8 * 4 * 3);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 2; x++) stored[(y * 8 + x) * 3] = 255;
    const jpeg = await sharp(stored, { raw: { width: 8, height: 4, channels: 3 } })
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await readImageInfo(jpeg)).toEqual({ format: 'jpeg', width: 4, height: 8 });
    const decoded = await decodeColorImage(jpeg);
    expect([decoded.width, decoded.height, decoded.channels]).toEqual([4, 8, 3]);
    expect(decoded.data[0]).toBeGreaterThan(200);
    expect(decoded.data[(7 * 4) * 3]).toBeLessThan(50);
    const mask = await decodeGrayImage(jpeg);
    expect([mask.width, mask.height, mask.channels]).toEqual([4, 8, 1]);
  });

  it('decodes colour masks to one gray channel and keeps RGBA images RGBA', async () => {
    const rgba = new Uint8Array(2 * 2 * 4).fill(200);
    const png = await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } }).png().toBuffer();
    expect((await decodeColorImage(png)).channels).toBe(4);
    const gray = await decodeGrayImage(png);
    expect(gray.channels).toBe(1);
    expect(gray.data.length).toBe(4);
  });

  it('resizes gray as gray and RGB as RGB with lanczos3, both directions', async () => {
    const gray = { width: 8, height: 8, channels: 1 as const, data: new Uint8Array(64).fill(128) };
    const up = await resizeLanczos(gray, { width: 16, height: 12 });
    expect([up.width, up.height, up.channels, up.data.length]).toEqual([16, 12, 1, 192]);
    expect(up.data.every((v) => v === 128)).toBe(true);
    const rgb = await toRgb({ width: 8, height: 8, channels: 4, data: new Uint8Array(256).fill(50) });
    const down = await resizeLanczos(rgb, { width: 3, height: 5 });
    expect([down.channels, down.data.length]).toEqual([3, 45]);
  });

  it('drops alpha without touching the colour (no premultiplication), so a translucent crop resizes by its RGB', async () => {
    const rgba = Uint8Array.from({ length: 6 * 4 * 4 }, (_, i) => (i % 4 === 3 ? (i * 13) % 256 : (i * 41) % 256));
    const rgb = await toRgb({ width: 6, height: 4, channels: 4, data: rgba });
    expect(rgb.channels).toBe(3);
    expect(Array.from(rgb.data)).toEqual(Array.from(rgba).filter((_, i) => i % 4 !== 3));
    const rgbInput = { width: 6, height: 4, channels: 3 as const, data: rgb.data };
    expect(await toRgb(rgbInput)).toBe(rgbInput);
  });

  it('copies RGB and RGBA to RGBA (opaque alpha added) in a buffer of its own that can move between threads', () => {
    // 7×3: not a multiple of the four pixels the expansion does at once; at offset 0 (aligned) and 1 (not).
    const bytes = Uint8Array.from({ length: 1 + 7 * 3 * 3 }, (_, i) => (i * 29 + 3) % 256);
    for (const offset of [0, 1]) {
      const rgb = bytes.subarray(offset, offset + 7 * 3 * 3);
      const rgba = toRgbaCopy({ width: 7, height: 3, channels: 3, data: rgb });
      expect([rgba.width, rgba.height, rgba.channels]).toEqual([7, 3, 4]);
      expect(Array.from(rgba.data)).toEqual(Array.from({ length: 21 * 4 }, (_, i) => (i % 4 === 3 ? 255 : rgb[(i >> 2) * 3 + (i % 4)])));
      expect(movesWhenPosted(rgba.data)).toBe(true);
    }
    const translucent = Uint8Array.from({ length: 5 * 4 }, (_, i) => i * 11);
    const copy = toRgbaCopy({ width: 5, height: 1, channels: 4, data: translucent });
    expect(copy.data).not.toBe(translucent);
    expect(Array.from(copy.data)).toEqual(Array.from(translucent));
    expect(movesWhenPosted(copy.data)).toBe(true);
  });

  it('encodes RGBA PNG losslessly', async () => {
    const data = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37) % 256);
    const png = await encodePng({ width: 3, height: 2, channels: 4, data });
    const back = await sharp(png).raw().toBuffer();
    expect(Array.from(back)).toEqual(Array.from(data));
  });
});
