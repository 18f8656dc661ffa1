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
 * buffers untransferable and clones them, a copy on each side). RGB is expanded in a typed-array loop, one
 * 32-bit store per pixel (little-endian, as every platform Node runs genfill on): about as fast as libvips' pass plus
 * the copy out of its buffer that would follow.
 */
export function toRgbaCopy(image: Pixels): Pixels {
  if (image.channels === 4) return { ...image, data: image.data.slice() };
  if (image.channels !== 3) throw new Error(`toRgbaCopy: expected 3 or 4 channels, got ${image.channels}`);
  const count = image.width * image.height;
  const data = new Uint8Array(count * 4);
  const words = new Uint32Array(data.buffer);
  const rgb = image.data;
  for (let p = 0, s = 0; p < count; p++, s += 3) words[p] = rgb[s] | (rgb[s + 1] << 8) | (rgb[s + 2] << 16) | 0xff000000;
  return { width: image.width, height: image.height, channels: 4, data };
}
