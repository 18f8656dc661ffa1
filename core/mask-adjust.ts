/**
 * Grow and feather for 8-bit gray masks (255 = fill), as a capture plan asks: linear-time separable passes, so a
 * 4-megapixel transfer mask costs a few tens of milliseconds whatever the radius.
 */

/**
 * Grows the mask by `radius` pixels: each pixel becomes the largest value within a (2r+1)² square. A square rather
 * than a disc keeps it to two passes; the feather that usually follows rounds the corners.
 */
export function growMask(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  if (radius <= 0) return mask;
  const rows = new Uint8Array(mask.length);
  const line = new Uint8Array(Math.max(width, height));
  const out = new Uint8Array(Math.max(width, height));
  const scratch = new Uint8Array(2 * (Math.max(width, height) + 2 * radius));
  for (let y = 0; y < height; y++) {
    maxFilter(mask.subarray(y * width, (y + 1) * width), out, width, radius, scratch);
    rows.set(out.subarray(0, width), y * width);
  }
  const result = new Uint8Array(mask.length);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) line[y] = rows[y * width + x];
    maxFilter(line, out, height, radius, scratch);
    for (let y = 0; y < height; y++) result[y * width + x] = out[y];
  }
  return result;
}

/**
 * Running maximum over [i−r, i+r] (van Herk / Gil–Werman) on the line padded with r zeros each side: prefix maxima of
 * blocks of 2r+1 from the left, suffix maxima from the right; each padded window is exactly one block long, so it
 * spans at most two blocks and its maximum is one compare.
 */
function maxFilter(src: Uint8Array, dst: Uint8Array, n: number, r: number, scratch: Uint8Array): void {
  const block = 2 * r + 1;
  const length = n + 2 * r;
  const padded = (i: number) => (i < r || i >= r + n ? 0 : src[i - r]);
  const prefix = scratch.subarray(0, length);
  const suffix = scratch.subarray(length, 2 * length);
  for (let i = 0; i < length; i++) prefix[i] = i % block === 0 ? padded(i) : Math.max(prefix[i - 1], padded(i));
  for (let i = length - 1; i >= 0; i--) suffix[i] = i === length - 1 || (i + 1) % block === 0 ? padded(i) : Math.max(suffix[i + 1], padded(i));
  for (let i = 0; i < n; i++) dst[i] = Math.max(suffix[i], prefix[i + 2 * r]);
}

/**
 * Feathers the mask with a Gaussian of standard deviation `sigma` pixels, approximated by three box blurs per axis
 * (the box widths of Kovesi's method); the document edge repeats the border pixel.
 */
export function featherMask(mask: Uint8Array, width: number, height: number, sigma: number): Uint8Array {
  if (sigma <= 0) return mask;
  const radii = boxRadii(sigma);
  const a = Float32Array.from(mask);
  const b = new Float32Array(mask.length);
  for (const r of radii) {
    boxPass(a, b, width, height, r, 1, width);
    boxPass(b, a, height, width, r, width, 1);
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(a[i]);
  return out;
}

/** Radii of three box filters whose combined variance equals sigma². */
export function boxRadii(sigma: number): number[] {
  const n = 3;
  const ideal = Math.sqrt((12 * sigma * sigma) / n + 1);
  let lower = Math.floor(ideal);
  if (lower % 2 === 0) lower--;
  const upper = lower + 2;
  const m = Math.round((12 * sigma * sigma - n * lower * lower - 4 * n * lower - 3 * n) / (-4 * lower - 4));
  return Array.from({ length: n }, (_, i) => ((i < m ? lower : upper) - 1) / 2);
}

/**
 * One box blur of radius r along lines of `length` samples `step` apart; `lines` lines start `lineStep` apart.
 * A running sum, clamped at the ends.
 */
function boxPass(src: Float32Array, dst: Float32Array, length: number, lines: number, r: number, step: number, lineStep: number): void {
  if (r <= 0) {
    dst.set(src);
    return;
  }
  const norm = 1 / (2 * r + 1);
  for (let line = 0; line < lines; line++) {
    const base = line * lineStep;
    const at = (i: number) => src[base + Math.min(length - 1, Math.max(0, i)) * step];
    let sum = 0;
    for (let i = -r; i <= r; i++) sum += at(i);
    for (let i = 0; i < length; i++) {
      dst[base + i * step] = sum * norm;
      sum += at(i + r + 1) - at(i - r);
    }
  }
}

/** Grow, then feather, as a plan's mask adjustments say (transfer pixels). */
export function adjustMask(mask: Uint8Array, width: number, height: number, adjust: { grow: number; feather: number }): Uint8Array {
  return featherMask(growMask(mask, width, height, adjust.grow), width, height, adjust.feather);
}
