/** Resampling with sharp's lanczos3 (the kernel diffusers uses through PIL), up or down, aspect not preserved. */
import sharp from 'sharp';
import type { Rect, Size } from '../../core/geometry';
import type { Pixels } from './pixels';

/**
 * Resizes to `size`; with `region`, returns only that rectangle of the resized image. libvips computes on demand,
 * so only the region is ever resampled (bringing a result back to the crop needs only the mask's bounds).
 */
export async function resizeLanczos(pixels: Pixels, size: Size, region?: Rect): Promise<Pixels> {
  const whole = region === undefined || (region.x === 0 && region.y === 0 && region.width === size.width && region.height === size.height);
  if (pixels.width === size.width && pixels.height === size.height && whole) return pixels;
  let pipeline = sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } }).resize(
    size.width,
    size.height,
    { kernel: 'lanczos3', fit: 'fill' },
  );
  if (!whole) pipeline = pipeline.extract({ left: region.x, top: region.y, width: region.width, height: region.height });
  // libvips would otherwise widen a one-band image to sRGB on output.
  if (pixels.channels === 1) pipeline = pipeline.toColourspace('b-w');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== pixels.channels) {
    throw new Error(`resize changed the channel count from ${pixels.channels} to ${info.channels}`);
  }
  return {
    width: info.width,
    height: info.height,
    channels: pixels.channels,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
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
