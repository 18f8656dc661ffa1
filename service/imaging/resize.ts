/** Resampling (Pillow-exact Lanczos-3, lanczos.ts) and channel conversions (libvips, off the event loop). */
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

/** An RGBA copy of an RGB or RGBA image (opaque alpha added by libvips, off the event loop). */
export async function toRgbaCopy(image: Pixels): Promise<Pixels> {
  if (image.channels === 4) return { ...image, data: image.data.slice() };
  if (image.channels !== 3) throw new Error(`toRgbaCopy: expected 3 or 4 channels, got ${image.channels}`);
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).ensureAlpha(1).raw().toBuffer();
  return { width: image.width, height: image.height, channels: 4, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
