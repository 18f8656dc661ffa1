/** Resampling (Pillow-exact Lanczos-3, lanczos.ts) and channel conversions (in the engine worker). */
import sharp from 'sharp';
import type { Rect, Size } from '../../core/geometry';
import { resampleLanczos3 } from './lanczos';
import type { Pixels } from './pixels';

/**
 * Resizes to `size` with Pillow's Lanczos-3, as diffusers does; with `region`, returns only that rectangle of the
 * resized image (only the region is computed: bringing a result back to the crop needs only the mask's bounds).
 */
export async function resizeLanczos(pixels: Pixels, size: Size, region?: Rect): Promise<Pixels> {
  const whole = region === undefined || (region.x === 0 && region.y === 0 && region.width === size.width && region.height === size.height);
  if (pixels.width === size.width && pixels.height === size.height && whole) return pixels;
  return resampleLanczos3(pixels, size, region);
}

/** The RGB part of an RGB or RGBA image (RGB is returned as is); alpha is dropped by libvips, off the event loop. */
export async function toRgb(image: Pixels): Promise<Pixels> {
  if (image.channels === 3) return image;
  if (image.channels !== 4) throw new Error(`toRgb: expected 3 or 4 channels, got ${image.channels}`);
  // Its own pass: in one pipeline with a resize, libvips would premultiply by alpha and change the colours.
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } }).removeAlpha().raw().toBuffer();
  return { width: image.width, height: image.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * An RGBA copy of an RGB or RGBA image, in a buffer of its own that JavaScript allocated: the engine worker composites
 * into it and transfers it to the HTTP thread without a copy (sharp's output could not move: Node marks native
 * buffers untransferable and clones them, a copy on each side). The expansion runs at the speed of writing fresh
 * memory (~45 ms for 4096², as much as allocating and filling the buffer).
 */
export function toRgbaCopy(image: Pixels): Pixels {
  if (image.channels === 4) return { ...image, data: image.data.slice() };
  if (image.channels !== 3) throw new Error(`toRgbaCopy: expected 3 or 4 channels, got ${image.channels}`);
  const count = image.width * image.height;
  const data = new Uint8Array(count * 4);
  expandRgbToRgba(image.data, new Uint32Array(data.buffer), count);
  return { width: image.width, height: image.height, channels: 4, data };
}

const OPAQUE = 0xff000000;

/**
 * RGB bytes → RGBA words with alpha 255: four pixels per three 32-bit loads and four stores where the RGB bytes are
 * 4-aligned, one pixel at a time otherwise. Words are little-endian (the first byte is the low one), as on every
 * platform genfill runs on.
 */
function expandRgbToRgba(rgb: Uint8Array, rgba: Uint32Array, count: number): void {
  let p = 0;
  if (rgb.byteOffset % 4 === 0) {
    const words = new Uint32Array(rgb.buffer, rgb.byteOffset, (count >> 2) * 3);
    for (let s = 0; p + 4 <= count; p += 4, s += 3) {
      const a = words[s];
      const b = words[s + 1];
      const c = words[s + 2];
      rgba[p] = a | OPAQUE;
      rgba[p + 1] = (a >>> 24) | (b << 8) | OPAQUE;
      rgba[p + 2] = (b >>> 16) | (c << 16) | OPAQUE;
      rgba[p + 3] = (c >>> 8) | OPAQUE;
    }
  }
  for (let s = p * 3; p < count; p++, s += 3) rgba[p] = rgb[s] | (rgb[s + 1] << 8) | (rgb[s + 2] << 16) | OPAQUE;
}
