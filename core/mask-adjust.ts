/**
 * Grow and feather for 8-bit gray masks (255 = fill), as a capture plan asks: separable passes in linear time
 * whatever the radius, vertical passes run row by row (contiguous memory), so a 2048² transfer mask costs tens of
 * milliseconds on the panel's thread (`npm run bench panel`).
 */

/**
 * Grows the mask by `radius` pixels: each pixel becomes the largest value within a (2r+1)² square. A square rather
 * than a disc keeps it to two passes; the feather that usually follows rounds the corners.
 */
export function growMask(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  if (radius <= 0) return mask;
  const rows = new Uint8Array(mask.length);
  const line = new Uint8Array(width + 2 * radius);
  const prefix = new Uint8Array(line.length);
  const suffix = new Uint8Array(line.length);
  for (let y = 0; y < height; y++) {
    line.set(mask.subarray(y * width, (y + 1) * width), radius);
    runningMax(line, prefix, suffix, radius, 1, width, rows, y * width);
  }
  // Vertically the "elements" are whole rows: the same recurrence, one row-vector max at a time.
  const padded = new Uint8Array((height + 2 * radius) * width);
  padded.set(rows, radius * width);
  const columnsPrefix = new Uint8Array(padded.length);
  const columnsSuffix = new Uint8Array(padded.length);
  const out = new Uint8Array(mask.length);
  runningMax(padded, columnsPrefix, columnsSuffix, radius, width, height, out, 0);
  return out;
}

/**
 * Running maximum over windows of 2r+1 elements (van Herk / Gil–Werman) of a line already padded with r zero elements
 * each side; an element is `size` consecutive bytes (1 for a row, `width` for a column pass). Prefix maxima run over
 * blocks of 2r+1 from the left, suffix maxima from the right; each window spans at most two blocks, so its maximum is
 * max(suffix[first], prefix[last]). Writes `count` elements to `out` at `outOffset`.
 */
function runningMax(padded: Uint8Array, prefix: Uint8Array, suffix: Uint8Array, r: number, size: number, count: number, out: Uint8Array, outOffset: number): void {
  const block = 2 * r + 1;
  const length = padded.length / size;
  for (let e = 0; e < length; e++) {
    const at = e * size;
    if (e % block === 0) for (let i = at; i < at + size; i++) prefix[i] = padded[i];
    else for (let i = at; i < at + size; i++) prefix[i] = padded[i] > prefix[i - size] ? padded[i] : prefix[i - size];
  }
  for (let e = length - 1; e >= 0; e--) {
    const at = e * size;
    if (e === length - 1 || (e + 1) % block === 0) for (let i = at; i < at + size; i++) suffix[i] = padded[i];
    else for (let i = at; i < at + size; i++) suffix[i] = padded[i] > suffix[i + size] ? padded[i] : suffix[i + size];
  }
  const span = 2 * r * size;
  for (let i = 0, n = count * size; i < n; i++) {
    const a = suffix[i];
    const b = prefix[i + span];
    out[outOffset + i] = a > b ? a : b;
  }
}

/**
 * Feathers the mask with a Gaussian of standard deviation `sigma` pixels, approximated by three box blurs per axis
 * (the box widths of Kovesi's method); the border pixel repeats past the edges.
 */
export function featherMask(mask: Uint8Array, width: number, height: number, sigma: number): Uint8Array {
  if (sigma <= 0) return mask;
  const a = Float32Array.from(mask);
  const b = new Float32Array(mask.length);
  for (const r of boxRadii(sigma)) {
    if (r <= 0) continue;
    boxRows(a, b, width, height, r);
    boxColumns(b, a, width, height, r);
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(a[i]);
  return out;
}

/** Radii of three box filters whose combined variance approximates sigma². */
export function boxRadii(sigma: number): number[] {
  const n = 3;
  const ideal = Math.sqrt((12 * sigma * sigma) / n + 1);
  let lower = Math.floor(ideal);
  if (lower % 2 === 0) lower--;
  const upper = lower + 2;
  const m = Math.round((12 * sigma * sigma - n * lower * lower - 4 * n * lower - 3 * n) / (-4 * lower - 4));
  return Array.from({ length: n }, (_, i) => ((i < m ? lower : upper) - 1) / 2);
}

/** Box blur of radius r along each row: a running sum, edges clamped. */
function boxRows(src: Float32Array, dst: Float32Array, width: number, height: number, r: number): void {
  const norm = 1 / (2 * r + 1);
  const last = width - 1;
  for (let y = 0; y < height; y++) {
    const base = y * width;
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += src[base + Math.min(Math.max(k, 0), last)];
    for (let x = 0; x < width; x++) {
      dst[base + x] = sum * norm;
      sum += src[base + Math.min(x + r + 1, last)] - src[base + Math.max(x - r, 0)];
    }
  }
}

/** Box blur of radius r down each column, computed row by row with one running-sum row. */
function boxColumns(src: Float32Array, dst: Float32Array, width: number, height: number, r: number): void {
  const norm = 1 / (2 * r + 1);
  const last = height - 1;
  const sum = new Float32Array(width);
  // The window of y = 0: rows -r..r, clamped.
  for (let k = -r; k <= r; k++) {
    const row = Math.min(Math.max(k, 0), last) * width;
    for (let x = 0; x < width; x++) sum[x] += src[row + x];
  }
  for (let y = 0; y < height; y++) {
    const out = y * width;
    for (let x = 0; x < width; x++) dst[out + x] = sum[x] * norm;
    const add = Math.min(y + r + 1, last) * width;
    const drop = Math.max(y - r, 0) * width;
    for (let x = 0; x < width; x++) sum[x] += src[add + x] - src[drop + x];
  }
}

/**
 * Grow, then feather, as a plan's mask adjustments say (transfer pixels). Only the rectangle the result can differ
 * from zero in is processed: the selected pixels' bounds plus the reach of grow and blur (outside it both see only
 * zeros, so cutting there changes nothing).
 */
export function adjustMask(mask: Uint8Array, width: number, height: number, adjust: { grow: number; feather: number }): Uint8Array {
  const grow = Math.max(0, adjust.grow);
  const blur = adjust.feather > 0 ? boxRadii(adjust.feather).reduce((sum, r) => sum + Math.max(0, r), 0) : 0;
  if (grow === 0 && blur === 0) return mask;
  const bounds = nonZeroBounds(mask, width, height);
  if (!bounds) return mask;
  const reach = grow + blur + 1;
  const x0 = Math.max(0, bounds.x0 - reach);
  const y0 = Math.max(0, bounds.y0 - reach);
  const w = Math.min(width, bounds.x1 + reach) - x0;
  const h = Math.min(height, bounds.y1 + reach) - y0;
  const part = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) part.set(mask.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
  const adjusted = featherMask(growMask(part, w, h, grow), w, h, adjust.feather);
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < h; y++) out.set(adjusted.subarray(y * w, (y + 1) * w), (y0 + y) * width + x0);
  return out;
}

/** Bounds [x0, x1) × [y0, y1) of the non-zero pixels, or null when there are none. */
function nonZeroBounds(mask: Uint8Array, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1;
    for (let x = 0; x < width; x++) {
      if (mask[row + x] !== 0) {
        first = x;
        break;
      }
    }
    if (first < 0) continue;
    let lastX = width - 1;
    while (mask[row + lastX] === 0) lastX--;
    if (first < x0) x0 = first;
    if (lastX + 1 > x1) x1 = lastX + 1;
    if (y < y0) y0 = y;
    y1 = y + 1;
  }
  return y1 < 0 ? null : { x0, y0, x1, y1 };
}
