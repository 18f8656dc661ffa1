/**
 * Decoding and encoding through sharp (libvips). sharp works on the libuv thread pool, so none of this blocks the
 * event loop. Decoding applies the EXIF orientation, so what the service sees is what the user saw.
 */
import sharp, { type Sharp } from 'sharp';
import type { Size } from '../../core/geometry';
import type { Pixels } from './pixels';
import { sniffImageFormat, type EncodedFormat } from './sniff';

/** sharp's own guard against decompression bombs; callers check the real limits on the header first. */
const SHARP_PIXEL_LIMIT = 16384 * 16384;

export interface EncodedImageInfo extends Size {
  format: EncodedFormat;
}

/** Format and (orientation-corrected) size from the header alone, without decoding the pixels. */
export async function readImageInfo(bytes: Uint8Array): Promise<EncodedImageInfo | null> {
  const format = sniffImageFormat(bytes);
  if (!format) return null;
  const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  if (!meta.width || !meta.height) return null;
  // EXIF orientations 5–8 swap the sides.
  const swapped = (meta.orientation ?? 1) >= 5;
  return { format, width: swapped ? meta.height : meta.width, height: swapped ? meta.width : meta.height };
}

/** An image as 8-bit RGB or RGBA (gray and 16-bit inputs are converted). */
export async function decodeColorImage(bytes: Uint8Array): Promise<Pixels> {
  const { data, info } = await sharp(bytes, { limitInputPixels: SHARP_PIXEL_LIMIT })
    .rotate()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 && info.channels !== 4) throw new Error(`decoded image has ${info.channels} channels`);
  return { width: info.width, height: info.height, channels: info.channels, data: asBytes(data) };
}

/** A mask as 8-bit gray; colour masks are converted to luminance, alpha is ignored. */
export async function decodeGrayImage(bytes: Uint8Array): Promise<Pixels> {
  const { data, info } = await sharp(bytes, { limitInputPixels: SHARP_PIXEL_LIMIT })
    .rotate()
    .removeAlpha()
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 1, data: asBytes(data).subarray(0, info.width * info.height) };
}

function rawInput(pixels: Pixels): Sharp {
  return sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } });
}

/**
 * PNG results sent over HTTP are encoded once per result and kept (service/jobs/result-encodings.ts), so they can
 * afford to be small: zlib level 1 with adaptive filtering made a photo-like 2048² RGBA result 8.7 MiB in ~190 ms
 * here, against 16 MiB stored (level 0, ~18 ms) and 11.4 MiB at level 6 (~280 ms). Files written to disk use 6.
 */
export const PNG_TRANSFER = { compressionLevel: 1, adaptiveFiltering: true } as const;
export const PNG_FILE_COMPRESSION = 6;

export async function encodePng(pixels: Pixels, compressionLevel: number = PNG_TRANSFER.compressionLevel): Promise<Buffer> {
  return rawInput(pixels).png({ compressionLevel, adaptiveFiltering: true }).toBuffer();
}

export async function encodeJpeg(pixels: Pixels, quality = 80): Promise<Buffer> {
  return rawInput(pixels).jpeg({ quality }).toBuffer();
}

/** JPEG has no alpha: flatten onto white, like Photoshop's thumbnails of transparent layers. */
function displayJpeg(pipeline: Sharp): Promise<Buffer> {
  return pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 85 }).toBuffer();
}

/** PNG or JPEG for display, scaled down (never up) so the longest side is at most `maxSide` when given. */
export async function encodeForDisplay(pixels: Pixels, format: 'png' | 'jpeg', maxSide?: number): Promise<Buffer> {
  let pipeline = rawInput(pixels);
  if (maxSide !== undefined) {
    pipeline = pipeline.resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' });
  }
  return format === 'jpeg' ? displayJpeg(pipeline) : pipeline.png(PNG_TRANSFER).toBuffer();
}

/**
 * A display JPEG (as `encodeForDisplay` makes) of `pixels` resized to exactly `size` (Lanczos-3, each axis on its
 * own): a thumbnail made from another resolution of the picture than the one it shows.
 */
export async function encodeJpegAt(pixels: Pixels, size: Size): Promise<Buffer> {
  return displayJpeg(rawInput(pixels).resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' }));
}

/** A view on sharp's Buffer as a plain Uint8Array (no copy). */
function asBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
