/**
 * Pixel-buffer helpers for the host: depth normalisation, placing trimmed buffers into their requested rectangle,
 * channel expansion. Pure typed-array code, one pass per buffer.
 */
import type { Rect, Size } from '../../core/geometry';
import type { RawImage } from './host';

/** Photoshop's 16-bit range is 0..32768 (not 65535) unless `fullRange` is asked for. */
export const PHOTOSHOP_16BIT_MAX = 32768;

/** 8/16/32-bit image data → 8-bit, with 16-bit read in Photoshop's 0..32768 range and floats clamped to 0..1. */
export function toUint8(data: Uint8Array | Uint16Array | Float32Array): Uint8Array {
  if (data instanceof Uint8Array) return data;
  const out = new Uint8Array(data.length);
  if (data instanceof Uint16Array) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      out[i] = v >= PHOTOSHOP_16BIT_MAX ? 255 : (v * 255 + PHOTOSHOP_16BIT_MAX / 2) / PHOTOSHOP_16BIT_MAX;
    }
  } else {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      out[i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
    }
  }
  return out;
}

/** 8-bit → Photoshop 16-bit (0..32768), for writing into 16-bit documents. */
export function toPhotoshop16(data: Uint8Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.round((data[i] * PHOTOSHOP_16BIT_MAX) / 255);
  return out;
}

/** RGB or RGBA → RGBA (opaque alpha for RGB). */
export function toRgba(image: RawImage): Uint8Array {
  if (image.channels === 4) return image.data;
  if (image.channels !== 3) throw new Error(`toRgba: expected 3 or 4 channels, got ${image.channels}`);
  const pixels = image.width * image.height;
  const out = new Uint8Array(pixels * 4);
  for (let p = 0, s = 0, d = 0; p < pixels; p++, s += 3, d += 4) {
    out[d] = image.data[s];
    out[d + 1] = image.data[s + 1];
    out[d + 2] = image.data[s + 2];
    out[d + 3] = 255;
  }
  return out;
}

/**
 * Puts a buffer that Photoshop may have trimmed (it returns only the part of the requested rectangle that holds
 * pixels, and says where in `returned`) into a zero-filled buffer of the requested rectangle at `target` size.
 * `returned` is in document pixels at pyramid `level` (0 = full resolution, 1 = half, …). With a `targetSize`, how
 * Photoshop sizes a trimmed part is undocumented (scaled by target/requested, or stretched to the whole target), so
 * the data is resampled (nearest) into the place its bounds say whenever its size differs from that place.
 */
export function placeTrimmed(
  data: Uint8Array,
  dataSize: Size,
  channels: 1 | 3 | 4,
  returned: { left: number; top: number; right: number; bottom: number },
  level: number,
  requested: Rect,
  target: Size,
): RawImage {
  if (data.length !== dataSize.width * dataSize.height * channels) {
    throw new Error(`placeTrimmed: ${data.length} bytes is not ${dataSize.width}×${dataSize.height}×${channels}`);
  }
  const levelScale = 2 ** level;
  const scaleX = target.width / requested.width;
  const scaleY = target.height / requested.height;
  // Where the returned bounds lie in the target, in target pixels.
  const left = Math.round((returned.left * levelScale - requested.x) * scaleX);
  const top = Math.round((returned.top * levelScale - requested.y) * scaleY);
  const width = Math.round((returned.right * levelScale - requested.x) * scaleX) - left;
  const height = Math.round((returned.bottom * levelScale - requested.y) * scaleY) - top;
  const full = dataSize.width === target.width && dataSize.height === target.height;
  // Untrimmed: the bounds cover the request up to the rounding of one pyramid-level pixel.
  const slack = levelScale * Math.max(scaleX, scaleY);
  if (full && left <= slack && top <= slack && left + width >= target.width - slack && top + height >= target.height - slack) {
    return { width: target.width, height: target.height, channels, data };
  }
  const out = new Uint8Array(target.width * target.height * channels);
  const x0 = Math.max(0, left);
  const x1 = Math.min(target.width, left + width);
  const y0 = Math.max(0, top);
  const y1 = Math.min(target.height, top + height);
  if (x1 <= x0 || y1 <= y0) return { width: target.width, height: target.height, channels, data: out };
  if (dataSize.width === width && dataSize.height === height) {
    for (let y = y0; y < y1; y++) {
      const src = ((y - top) * dataSize.width + (x0 - left)) * channels;
      out.set(data.subarray(src, src + (x1 - x0) * channels), (y * target.width + x0) * channels);
    }
    return { width: target.width, height: target.height, channels, data: out };
  }
  // Resample: one source column per target column, computed once; rows copied pixel by pixel.
  const columns = new Int32Array(x1 - x0);
  for (let x = x0; x < x1; x++) columns[x - x0] = Math.min(dataSize.width - 1, Math.floor(((x - left + 0.5) * dataSize.width) / width)) * channels;
  for (let y = y0; y < y1; y++) {
    const row = Math.min(dataSize.height - 1, Math.floor(((y - top + 0.5) * dataSize.height) / height)) * dataSize.width * channels;
    let d = (y * target.width + x0) * channels;
    for (let i = 0; i < columns.length; i++, d += channels) {
      const s = row + columns[i];
      for (let c = 0; c < channels; c++) out[d + c] = data[s + c];
    }
  }
  return { width: target.width, height: target.height, channels, data: out };
}
