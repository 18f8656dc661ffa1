/** Decoded 8-bit interleaved pixels, the currency between the codec, the resizer and the jobs. */
export interface Pixels {
  width: number;
  height: number;
  /** 1 = gray (masks), 3 = RGB, 4 = RGBA. */
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

const ZEROS = new Uint8Array(64 * 1024);

/** Whether every byte is 0 — by memcmp against a zero block, so a 16 MB mask costs well under a millisecond. */
export function isAllZero(bytes: Uint8Array): boolean {
  for (let offset = 0; offset < bytes.length; offset += ZEROS.length) {
    const end = Math.min(offset + ZEROS.length, bytes.length);
    if (Buffer.compare(bytes.subarray(offset, end), ZEROS.subarray(0, end - offset)) !== 0) return false;
  }
  return true;
}

/** RGBA's alpha byte within a pixel read as one 32-bit word, whatever the platform's byte order (as a signed int). */
const ALPHA_BITS = new Int32Array(Uint8Array.of(0, 0, 0, 255).buffer)[0];
const OPAQUE_BLOCK_PIXELS = 16 * 1024;

/** Whether every pixel is fully opaque: images without alpha are; RGBA when every alpha byte is 255. */
export function isOpaque(pixels: Pixels): boolean {
  if (pixels.channels !== 4) return true;
  const { data } = pixels;
  if (data.byteOffset % 4 !== 0) {
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) return false;
    return true;
  }
  // Whole pixels ANDed a block at a time (a 4096² crop: 16 ms, byte by byte 28 ms here): the alpha bits survive only
  // if every alpha is 255.
  const words = new Int32Array(data.buffer, data.byteOffset, data.length >> 2);
  for (let start = 0; start < words.length; start += OPAQUE_BLOCK_PIXELS) {
    const end = Math.min(words.length, start + OPAQUE_BLOCK_PIXELS);
    let all = ALPHA_BITS;
    for (let i = start; i < end; i++) all &= words[i];
    if (all !== ALPHA_BITS) return false;
  }
  return true;
}

/**
 * A copy of `bytes` in an ArrayBuffer of its own: sharp's output is native memory that Node clones (on both sides)
 * instead of moving it to another thread; the copy moves.
 */
export function movableCopy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}
