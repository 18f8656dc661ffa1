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

/** Whether every pixel is fully opaque: images without alpha are; RGBA when every alpha byte is 255. */
export function isOpaque(pixels: Pixels): boolean {
  if (pixels.channels !== 4) return true;
  const data = pixels.data;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) return false;
  return true;
}
