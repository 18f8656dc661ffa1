/**
 * Lanczos-3 resampling as Pillow's `Image.resize(size, Image.LANCZOS)` computes it (libImaging/Resample.c), which is
 * what diffusers resizes with: pixel centres aligned ((x + 0.5)·scale), support 3·scale when downscaling, weights
 * normalised to sum 1 and rounded to 22-bit fixed point, a horizontal pass into an 8-bit intermediate, then a
 * vertical pass. sharp/libvips differ in the interpolator and sit half a pixel off, which moves soft edges and flips
 * latent-mask cells. Weights are computed here (and cached per size pair); the passes run as WebAssembly SIMD kernels
 * (lanczos-simd.ts), each thread with its own instance, whose memory stays as large as the largest resize it did.
 */
import type { Rect, Size } from '../../core/geometry';
import { kernelMemory, lanczosKernels } from './lanczos-simd';
import type { Pixels } from './pixels';

const SUPPORT = 3;
/** Pillow's PRECISION_BITS for 8-bit images: 32 − 8 − 2. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;

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
  /** `taps` fixed-point weights per output (unused ones 0); taps is a multiple of 4 (the SIMD kernels read fours). */
  weights: Int32Array;
  taps: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the outputs [start, start + count). */
export function axisWeights(inSize: number, outSize: number, start: number, count: number): AxisWeights {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT * filterScale;
  const taps = (Math.ceil(support) * 2 + 1 + 3) & ~3;
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

const align16 = (n: number) => (n + 15) & ~15;
/** Source rows are copied into the kernels' memory this many bytes at a time (it keeps its size: keep it small). */
const SOURCE_CHUNK_BYTES = 1 << 20;

/**
 * Resizes `pixels` to `size` (aspect not preserved); with `region`, computes only that rectangle of the resized image
 * (bit-identical to resizing all and cropping). Sizes that do not change skip their pass, as Pillow does. The passes
 * run as SIMD kernels (lanczos-simd.ts) over copies of the source rows the region needs, a chunk at a time.
 */
export function resampleLanczos3(pixels: Pixels, size: Size, region: Rect = { x: 0, y: 0, ...size }): Pixels {
  const { width: inWidth, height: inHeight, channels, data } = pixels;
  const { x: rx, y: ry, width: rw, height: rh } = region;
  if (rx < 0 || ry < 0 || rw < 1 || rh < 1 || rx + rw > size.width || ry + rh > size.height) {
    throw new Error(`resample: region ${rw}×${rh}+${rx}+${ry} is outside the ${size.width}×${size.height} output`);
  }
  const horizontal = size.width !== inWidth ? cachedAxisWeights(inWidth, size.width, rx, rw) : null;
  const vertical = size.height !== inHeight ? cachedAxisWeights(inHeight, size.height, ry, rh) : null;

  // Source rows the vertical pass reads (all of the region's rows when there is no vertical pass).
  const rowFirst = vertical ? vertical.bounds[0] : ry;
  const rowEnd = vertical ? vertical.bounds[(rh - 1) * 2] + vertical.bounds[(rh - 1) * 2 + 1] : ry + rh;
  const rows = rowEnd - rowFirst;
  const inRowBytes = inWidth * channels;
  const rowBytes = rw * channels;
  const stride = align16(rowBytes);

  // The kernels' memory: tables, source rows, the 8-bit intermediate, the result; each with 16 bytes of slack.
  let used = 0;
  const take = (bytes: number) => {
    const at = used;
    used = align16(used + bytes + 16);
    return at;
  };
  const hBounds = horizontal ? take(horizontal.bounds.byteLength) : 0;
  const hWeights = horizontal ? take(horizontal.weights.byteLength) : 0;
  const vBounds = vertical ? take(vertical.bounds.byteLength) : 0;
  const vWeights = vertical ? take(vertical.weights.byteLength) : 0;
  const chunkRows = Math.min(rows, Math.max(1, Math.floor(SOURCE_CHUNK_BYTES / inRowBytes)));
  const source = horizontal ? take(chunkRows * inRowBytes) : 0;
  const temp = take(rows * stride);
  const out = vertical ? take(rh * stride) : temp;
  const kernels = lanczosKernels();
  const memory = kernelMemory(used);
  const heap = new Uint8Array(memory);
  const words = new Int32Array(memory);

  // Horizontal pass: source rows [rowFirst, rowEnd) → the region's columns, 8-bit like Pillow's intermediate image.
  if (horizontal) {
    words.set(horizontal.bounds, hBounds >> 2);
    words.set(horizontal.weights, hWeights >> 2);
    const tapsBytes = horizontal.taps * 4;
    for (let r = 0; r < rows; r += chunkRows) {
      const n = Math.min(chunkRows, rows - r);
      heap.set(data.subarray((rowFirst + r) * inRowBytes, (rowFirst + r + n) * inRowBytes), source);
      const into = temp + r * stride;
      if (channels === 1) kernels.horizontalGray(source, inRowBytes, into, stride, n, hBounds, hBounds + rw * 8, hWeights, tapsBytes);
      else kernels.horizontalPixels(source, inRowBytes, into, stride, n, hBounds, hBounds + rw * 8, hWeights, tapsBytes, channels);
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const from = (rowFirst + r) * inRowBytes + rx * channels;
      heap.set(data.subarray(from, from + rowBytes), temp + r * stride);
    }
  }
  if (vertical) {
    words.set(vertical.bounds, vBounds >> 2);
    words.set(vertical.weights, vWeights >> 2);
    kernels.vertical(temp - rowFirst * stride, stride, out, vBounds, vBounds + rh * 8, vWeights, vertical.taps * 4);
  }
  const result = new Uint8Array(rh * rowBytes);
  if (stride === rowBytes) result.set(heap.subarray(out, out + rh * rowBytes));
  else for (let r = 0; r < rh; r++) result.set(heap.subarray(out + r * stride, out + r * stride + rowBytes), r * rowBytes);
  return { width: rw, height: rh, channels, data: result };
}
