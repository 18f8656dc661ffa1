/** Decoded 8-bit interleaved pixels, the currency between the codec, the resizer and the jobs. */
export interface Pixels {
  width: number;
  height: number;
  /** 1 = gray (masks), 3 = RGB, 4 = RGBA. */
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

/** The RGB part of an RGB or RGBA image (RGB input is returned as is, not copied). */
export function toRgb(image: Pixels): Pixels {
  if (image.channels === 3) return image;
  if (image.channels !== 4) throw new Error(`toRgb: expected 3 or 4 channels, got ${image.channels}`);
  const pixels = image.width * image.height;
  const rgb = new Uint8Array(pixels * 3);
  const src = image.data;
  for (let p = 0, s = 0, d = 0; p < pixels; p++, s += 4, d += 3) {
    rgb[d] = src[s];
    rgb[d + 1] = src[s + 1];
    rgb[d + 2] = src[s + 2];
  }
  return { width: image.width, height: image.height, channels: 3, data: rgb };
}
