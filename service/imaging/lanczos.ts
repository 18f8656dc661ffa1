/**
 * Lanczos-3 resampling as Pillow's `Image.resize(size, Image.LANCZOS)` computes it (libImaging/Resample.c), which is
 * what diffusers resizes with: pixel centres aligned ((x + 0.5)·scale), support 3·scale when downscaling, weights
 * normalised to sum 1 and rounded to 22-bit fixed point, a horizontal pass into an 8-bit intermediate, then a
 * vertical pass. sharp/libvips differ in the interpolator and sit half a pixel off, which moves soft edges and flips
 * latent-mask cells. Pure typed-array code: it runs in any thread.
 */
import type { Rect, Size } from '../../core/geometry';
import type { Pixels } from './pixels';

const SUPPORT = 3;
/** Pillow's PRECISION_BITS for 8-bit images: 32 − 8 − 2. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Pillow's lanczos filter: sinc(x)·sinc(x/3) on [−3, 3). */
export function lanczos3(x: number): number {
  return x >= -SUPPORT && x < SUPPORT ? sinc(x) * sinc(x / SUPPORT) : 0;
}

/** Per-output-pixel taps along one axis, for outputs [start, start + count) of an outSize-long axis. */
export interface AxisWeights {
  /** Pairs (first input index, tap count) per output. */
  bounds: Int32Array;
  /** `taps` fixed-point weights per output (unused ones 0). */
  weights: Int32Array;
  taps: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the outputs [start, start + count). */
export function axisWeights(inSize: number, outSize: number, start: number, count: number): AxisWeights {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(count * 2);
  const weights = new Int32Array(count * taps);
  const real = new Float64Array(taps);
  for (let o = 0; o < count; o++) {
    const centre = (start + o + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    const first = Math.max(Math.trunc(centre - support + 0.5), 0);
    const n = Math.min(Math.trunc(centre + support + 0.5), inSize) - first;
    let sum = 0;
    for (let t = 0; t < n; t++) {
      const w = lanczos3((t + first - centre + 0.5) / filterScale);
      real[t] = w;
      sum += w;
    }
    for (let t = 0; t < n; t++) {
      const w = sum === 0 ? real[t] : real[t] / sum;
      weights[o * taps + t] = Math.trunc(w < 0 ? w * ONE - 0.5 : w * ONE + 0.5);
    }
    bounds[o * 2] = first;
    bounds[o * 2 + 1] = n;
  }
  return { bounds, weights, taps };
}

const CACHED_AXES = 16;
/** Weights by (in, out, start, count): a job resizes the same size pairs again and again. */
const axisCache = new Map<string, AxisWeights>();

function cachedAxisWeights(inSize: number, outSize: number, start: number, count: number): AxisWeights {
  const key = `${inSize} ${outSize} ${start} ${count}`;
  let axis = axisCache.get(key);
  if (!axis) {
    axis = axisWeights(inSize, outSize, start, count);
    if (axisCache.size >= CACHED_AXES) axisCache.delete(axisCache.keys().next().value as string);
    axisCache.set(key, axis);
  }
  return axis;
}

/*
 * The passes below are Pillow's loops written for V8: one function per channel count (each stays monomorphic),
 * int32 arithmetic spelled out (Math.imul, | 0: no overflow checks; the sums fit, |Σ| < 2^31 for 8-bit inputs and
 * weights summing to 2^22), and the clamp done by a Uint8ClampedArray store of the shifted sum.
 */

/** Horizontal pass over `rows` source rows starting at `srcRow0`, `count` outputs per row. */
function horizontal1(src: Uint8Array, srcRow0: number, srcStride: number, rows: number, dst: Uint8ClampedArray, axis: AxisWeights, count: number): void {
  const { bounds, weights, taps } = axis;
  let q = 0;
  for (let r = 0; r < rows; r++) {
    const row = (srcRow0 + r) * srcStride;
    for (let o = 0; o < count; o++) {
      const n = bounds[2 * o + 1];
      const k = o * taps;
      const p = row + bounds[2 * o];
      let s = HALF;
      for (let t = 0; t < n; t++) s = (s + Math.imul(src[p + t], weights[k + t])) | 0;
      dst[q++] = s >> PRECISION_BITS;
    }
  }
}

function horizontal3(src: Uint8Array, srcRow0: number, srcStride: number, rows: number, dst: Uint8ClampedArray, axis: AxisWeights, count: number): void {
  const { bounds, weights, taps } = axis;
  let q = 0;
  for (let r = 0; r < rows; r++) {
    const row = (srcRow0 + r) * srcStride;
    for (let o = 0; o < count; o++) {
      const n = bounds[2 * o + 1];
      let k = o * taps;
      const end = k + n;
      let p = row + bounds[2 * o] * 3;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (; k < end; k++, p += 3) {
        const w = weights[k];
        s0 = (s0 + Math.imul(src[p], w)) | 0;
        s1 = (s1 + Math.imul(src[p + 1], w)) | 0;
        s2 = (s2 + Math.imul(src[p + 2], w)) | 0;
      }
      dst[q] = s0 >> PRECISION_BITS;
      dst[q + 1] = s1 >> PRECISION_BITS;
      dst[q + 2] = s2 >> PRECISION_BITS;
      q += 3;
    }
  }
}

function horizontal4(src: Uint8Array, srcRow0: number, srcStride: number, rows: number, dst: Uint8ClampedArray, axis: AxisWeights, count: number): void {
  const { bounds, weights, taps } = axis;
  let q = 0;
  for (let r = 0; r < rows; r++) {
    const row = (srcRow0 + r) * srcStride;
    for (let o = 0; o < count; o++) {
      const n = bounds[2 * o + 1];
      let k = o * taps;
      const end = k + n;
      let p = row + bounds[2 * o] * 4;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      let s3 = HALF;
      for (; k < end; k++, p += 4) {
        const w = weights[k];
        s0 = (s0 + Math.imul(src[p], w)) | 0;
        s1 = (s1 + Math.imul(src[p + 1], w)) | 0;
        s2 = (s2 + Math.imul(src[p + 2], w)) | 0;
        s3 = (s3 + Math.imul(src[p + 3], w)) | 0;
      }
      dst[q] = s0 >> PRECISION_BITS;
      dst[q + 1] = s1 >> PRECISION_BITS;
      dst[q + 2] = s2 >> PRECISION_BITS;
      dst[q + 3] = s3 >> PRECISION_BITS;
      q += 4;
    }
  }
}

/**
 * Vertical pass: each output row sums its source rows, eight bytes at a time in registers (the rows a tap reads are
 * a few KB apart and stay in cache), the rest one by one. Channels do not matter here: a row is a row of bytes.
 */
function vertical(src: Uint8Array, rowFirst: number, rowBytes: number, dst: Uint8ClampedArray, axis: AxisWeights, count: number): void {
  const { bounds, weights, taps } = axis;
  const wide = rowBytes - (rowBytes % 8);
  for (let o = 0; o < count; o++) {
    const top = (bounds[2 * o] - rowFirst) * rowBytes;
    const k0 = o * taps;
    const end = k0 + bounds[2 * o + 1];
    const outRow = o * rowBytes;
    for (let i = 0; i < wide; i += 8) {
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      let s3 = HALF;
      let s4 = HALF;
      let s5 = HALF;
      let s6 = HALF;
      let s7 = HALF;
      for (let k = k0, p = top + i; k < end; k++, p += rowBytes) {
        const w = weights[k];
        s0 = (s0 + Math.imul(src[p], w)) | 0;
        s1 = (s1 + Math.imul(src[p + 1], w)) | 0;
        s2 = (s2 + Math.imul(src[p + 2], w)) | 0;
        s3 = (s3 + Math.imul(src[p + 3], w)) | 0;
        s4 = (s4 + Math.imul(src[p + 4], w)) | 0;
        s5 = (s5 + Math.imul(src[p + 5], w)) | 0;
        s6 = (s6 + Math.imul(src[p + 6], w)) | 0;
        s7 = (s7 + Math.imul(src[p + 7], w)) | 0;
      }
      const q = outRow + i;
      dst[q] = s0 >> PRECISION_BITS;
      dst[q + 1] = s1 >> PRECISION_BITS;
      dst[q + 2] = s2 >> PRECISION_BITS;
      dst[q + 3] = s3 >> PRECISION_BITS;
      dst[q + 4] = s4 >> PRECISION_BITS;
      dst[q + 5] = s5 >> PRECISION_BITS;
      dst[q + 6] = s6 >> PRECISION_BITS;
      dst[q + 7] = s7 >> PRECISION_BITS;
    }
    for (let i = wide; i < rowBytes; i++) {
      let s = HALF;
      for (let k = k0, p = top + i; k < end; k++, p += rowBytes) s = (s + Math.imul(src[p], weights[k])) | 0;
      dst[outRow + i] = s >> PRECISION_BITS;
    }
  }
}

const HORIZONTAL = { 1: horizontal1, 3: horizontal3, 4: horizontal4 } as const;

const clamped = (bytes: Uint8Array) => new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Resizes `pixels` to `size` (aspect not preserved); with `region`, computes only that rectangle of the resized image
 * (bit-identical to resizing all and cropping). Sizes that do not change skip their pass, as Pillow does.
 */
export function resampleLanczos3(pixels: Pixels, size: Size, region: Rect = { x: 0, y: 0, ...size }): Pixels {
  const { width: inWidth, height: inHeight, channels, data } = pixels;
  const { x: rx, y: ry, width: rw, height: rh } = region;
  if (rx < 0 || ry < 0 || rw < 1 || rh < 1 || rx + rw > size.width || ry + rh > size.height) {
    throw new Error(`resample: region ${rw}×${rh}+${rx}+${ry} is outside the ${size.width}×${size.height} output`);
  }
  const needHorizontal = size.width !== inWidth;
  const needVertical = size.height !== inHeight;

  // Source rows the vertical pass reads (all of the region's rows when there is no vertical pass).
  const verticalAxis = needVertical ? cachedAxisWeights(inHeight, size.height, ry, rh) : null;
  const rowFirst = verticalAxis ? verticalAxis.bounds[0] : ry;
  const rowEnd = verticalAxis ? verticalAxis.bounds[(rh - 1) * 2] + verticalAxis.bounds[(rh - 1) * 2 + 1] : ry + rh;
  const rows = rowEnd - rowFirst;

  // Horizontal pass: source rows [rowFirst, rowEnd) → the region's columns, 8-bit like Pillow's intermediate image.
  const rowBytes = rw * channels;
  const temp = new Uint8Array(rows * rowBytes);
  if (needHorizontal) {
    HORIZONTAL[channels](data, rowFirst, inWidth * channels, rows, clamped(temp), cachedAxisWeights(inWidth, size.width, rx, rw), rw);
  } else {
    for (let r = 0; r < rows; r++) {
      const from = ((rowFirst + r) * inWidth + rx) * channels;
      temp.set(data.subarray(from, from + rowBytes), r * rowBytes);
    }
  }
  if (!verticalAxis) return { width: rw, height: rh, channels, data: temp };
  const out = new Uint8Array(rh * rowBytes);
  vertical(temp, rowFirst, rowBytes, clamped(out), verticalAxis, rh);
  return { width: rw, height: rh, channels, data: out };
}
