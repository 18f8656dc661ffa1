/** Decoded 8-bit interleaved pixels, the currency between the codec, the resizer and the jobs. */
export interface Pixels {
  width: number;
  height: number;
  /** 1 = gray (masks), 3 = RGB, 4 = RGBA. */
  channels: 1 | 3 | 4;
  data: Uint8Array;
}
