/**
 * The two Lanczos passes as WebAssembly SIMD kernels, assembled here from the instruction list below (no toolchain,
 * no binary in the repository). Same fixed-point arithmetic as Pillow: 32-bit products of a byte and a 22-bit
 * weight summed from ½ in 32-bit lanes (|Σ| < 2^31), an arithmetic shift, then saturating narrows, which are
 * Pillow's clip8. Plain JavaScript tops out near one multiply-add per nanosecond; four lanes at a time is what
 * brings a 2048² resize into tens of milliseconds.
 *
 * Memory layout is the caller's: rows of `stride` bytes (a multiple of 16), axis tables as lanczos.ts builds them
 * (pairs first/count, `taps` weights per output, taps a multiple of 4 and zero beyond count), and 16 bytes of slack
 * after every buffer (the kernels read up to 8 bytes past a row's last tap and write 4 bytes for an RGB pixel).
 */

const HALF = 1 << 21;
const SHIFT = 22;

// Encoding (WebAssembly binary format 1.0 with the fixed-width SIMD proposal, in every Node ≥ 16).
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

const I32 = 0x7f;
const V128 = 0x7b;
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const tee = (i: number) => [0x22, ...uleb(i)];
const i32 = (n: number) => [0x41, ...sleb(n)];
const add = [0x6a];
const sub = [0x6b];
const mul = [0x6c];
const shrS = [0x75];
const shrU = [0x76];
const ltU = [0x49];
const load = (offset = 0) => [0x28, 2, ...uleb(offset)];
const loop = (...body: number[][]) => [0x03, 0x40, ...body.flat(), 0x0b];
const repeatIf = [0x0d, 0]; // br_if to the enclosing loop's start
const simd = (op: number, ...immediates: number[]) => [0xfd, ...uleb(op), ...immediates];
const v128Load = (offset = 0) => simd(0x00, 0, ...uleb(offset));
const bytes8ToI16 = (offset = 0) => simd(0x02, 0, ...uleb(offset)); // v128.load8x8_u
const load32Splat = simd(0x09, 0, 0);
const v128Store = simd(0x0b, 0, 0);
const store8Lane0 = simd(0x58, 0, 0, 0);
const store32Lane0 = simd(0x5a, 0, 0, 0);
const load32Zero = simd(0x5c, 0, 0);
const splat = simd(0x11); // i32x4.splat
const lane = (i: number) => simd(0x1b, i); // i32x4.extract_lane
const narrowTo8 = simd(0x66); // i8x16.narrow_i16x8_u: saturates to 0..255
const narrowTo16 = simd(0x85); // i16x8.narrow_i32x4_s
const widenBytes = simd(0x89); // i16x8.extend_low_i8x16_u
const widenLow = simd(0xa9); // i32x4.extend_low_i16x8_u
const widenHigh = simd(0xaa); // i32x4.extend_high_i16x8_u
const shiftRight = simd(0xac); // i32x4.shr_s
const addLanes = simd(0xae);
const mulLanes = simd(0xb5);

/** acc += widened × weights (both v128 locals), leaving nothing on the stack. */
const accumulate = (acc: number, widened: number[], weights: number) => [...widened, ...get(weights), ...mulLanes, ...get(acc), ...addLanes, ...set(acc)];

/**
 * vertical(srcBase, stride, dst, bounds, boundsEnd, weights, tapsBytes): for each output row, 16 bytes at a time,
 * Σ over its source rows (srcBase + first·stride, …) of row × weight.
 */
function verticalKernel(): number[] {
  const [srcBase, stride, dst, bounds, boundsEnd, weights, tapsBytes] = [0, 1, 2, 3, 4, 5, 6];
  const [top, count, i, p, w, t] = [7, 8, 9, 10, 11, 12];
  const [a0, a1, a2, a3, ws, v, half] = [13, 14, 15, 16, 17, 18, 19];
  const locals = [
    [6, I32],
    [7, V128],
  ];
  const narrowed = [
    ...[a0, a1].flatMap((a) => [...get(a), ...i32(SHIFT), ...shiftRight]),
    ...narrowTo16,
    ...[a2, a3].flatMap((a) => [...get(a), ...i32(SHIFT), ...shiftRight]),
    ...narrowTo16,
    ...narrowTo8,
  ];
  const code = [
    ...i32(HALF), ...splat, ...set(half),
    ...loop(
      [...get(srcBase), ...get(bounds), ...load(), ...get(stride), ...mul, ...add, ...set(top)],
      [...get(bounds), ...load(4), ...set(count), ...i32(0), ...set(i)],
      loop(
        [...get(half), ...set(a0), ...get(half), ...set(a1), ...get(half), ...set(a2), ...get(half), ...set(a3)],
        [...get(top), ...get(i), ...add, ...set(p), ...get(weights), ...set(w), ...get(count), ...set(t)],
        loop(
          [...get(w), ...load32Splat, ...set(ws)],
          [...get(p), ...bytes8ToI16(0), ...set(v)],
          accumulate(a0, [...get(v), ...widenLow], ws),
          accumulate(a1, [...get(v), ...widenHigh], ws),
          [...get(p), ...bytes8ToI16(8), ...set(v)],
          accumulate(a2, [...get(v), ...widenLow], ws),
          accumulate(a3, [...get(v), ...widenHigh], ws),
          [...get(p), ...get(stride), ...add, ...set(p), ...get(w), ...i32(4), ...add, ...set(w)],
          [...get(t), ...i32(1), ...sub, ...tee(t), ...repeatIf],
        ),
        [...get(dst), ...get(i), ...add, ...narrowed, ...v128Store],
        [...get(i), ...i32(16), ...add, ...tee(i), ...get(stride), ...ltU, ...repeatIf],
      ),
      [...get(dst), ...get(stride), ...add, ...set(dst), ...get(weights), ...get(tapsBytes), ...add, ...set(weights)],
      [...get(bounds), ...i32(8), ...add, ...tee(bounds), ...get(boundsEnd), ...ltU, ...repeatIf],
    ),
  ];
  return [...vector(locals), ...code, 0x0b];
}

/**
 * horizontalPixels(src, srcStride, dst, dstStride, rows, bounds, boundsEnd, weights, tapsBytes, channels): RGB or
 * RGBA, one pixel's channels in the lanes, one tap at a time; each output written as 4 bytes (for RGB the fourth is
 * the next pixel's, written after).
 */
function horizontalPixelsKernel(): number[] {
  const [src, srcStride, dst, dstStride, rows, bounds, boundsEnd, weights, tapsBytes, channels] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [b, wRow, q, p, n, w] = [10, 11, 12, 13, 14, 15];
  const [acc, half] = [16, 17];
  const locals = [
    [6, I32],
    [2, V128],
  ];
  const code = [
    ...i32(HALF), ...splat, ...set(half),
    ...loop(
      [...get(bounds), ...set(b), ...get(weights), ...set(wRow), ...get(dst), ...set(q)],
      loop(
        [...get(src), ...get(b), ...load(), ...get(channels), ...mul, ...add, ...set(p)],
        [...get(b), ...load(4), ...set(n), ...get(wRow), ...set(w), ...get(half), ...set(acc)],
        loop(
          [...get(p), ...bytes8ToI16(0), ...widenLow, ...get(w), ...load32Splat, ...mulLanes, ...get(acc), ...addLanes, ...set(acc)],
          [...get(p), ...get(channels), ...add, ...set(p), ...get(w), ...i32(4), ...add, ...set(w)],
          [...get(n), ...i32(1), ...sub, ...tee(n), ...repeatIf],
        ),
        [...get(q), ...get(acc), ...i32(SHIFT), ...shiftRight, ...tee(acc), ...get(acc), ...narrowTo16, ...tee(acc), ...get(acc), ...narrowTo8, ...store32Lane0],
        [...get(q), ...get(channels), ...add, ...set(q), ...get(wRow), ...get(tapsBytes), ...add, ...set(wRow)],
        [...get(b), ...i32(8), ...add, ...tee(b), ...get(boundsEnd), ...ltU, ...repeatIf],
      ),
      [...get(src), ...get(srcStride), ...add, ...set(src), ...get(dst), ...get(dstStride), ...add, ...set(dst)],
      [...get(rows), ...i32(1), ...sub, ...tee(rows), ...repeatIf],
    ),
  ];
  return [...vector(locals), ...code, 0x0b];
}

/**
 * horizontalGray(src, srcStride, dst, dstStride, rows, bounds, boundsEnd, weights, tapsBytes): one channel, four
 * taps in the lanes (the weights past a pixel's count are 0), the lanes summed at the end.
 */
function horizontalGrayKernel(): number[] {
  const [src, srcStride, dst, dstStride, rows, bounds, boundsEnd, weights, tapsBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [b, wRow, q, p, groups, w] = [9, 10, 11, 12, 13, 14];
  const [acc, zero] = [15, 16];
  const locals = [
    [6, I32],
    [2, V128],
  ];
  const sumLanes = [...get(acc), ...lane(0), ...get(acc), ...lane(1), ...add, ...get(acc), ...lane(2), ...add, ...get(acc), ...lane(3), ...add];
  const code = loop(
    [...get(bounds), ...set(b), ...get(weights), ...set(wRow), ...get(dst), ...set(q)],
    loop(
      [...get(src), ...get(b), ...load(), ...add, ...set(p)],
      [...get(b), ...load(4), ...i32(3), ...add, ...i32(2), ...shrU, ...set(groups), ...get(wRow), ...set(w), ...get(zero), ...set(acc)],
      loop(
        [...get(p), ...load32Zero, ...widenBytes, ...widenLow, ...get(w), ...v128Load(), ...mulLanes, ...get(acc), ...addLanes, ...set(acc)],
        [...get(p), ...i32(4), ...add, ...set(p), ...get(w), ...i32(16), ...add, ...set(w)],
        [...get(groups), ...i32(1), ...sub, ...tee(groups), ...repeatIf],
      ),
      [...get(q), ...sumLanes, ...i32(HALF), ...add, ...i32(SHIFT), ...shrS, ...splat, ...tee(acc), ...get(acc), ...narrowTo16, ...tee(acc), ...get(acc), ...narrowTo8, ...store8Lane0],
      [...get(q), ...i32(1), ...add, ...set(q), ...get(wRow), ...get(tapsBytes), ...add, ...set(wRow)],
      [...get(b), ...i32(8), ...add, ...tee(b), ...get(boundsEnd), ...ltU, ...repeatIf],
    ),
    [...get(src), ...get(srcStride), ...add, ...set(src), ...get(dst), ...get(dstStride), ...add, ...set(dst)],
    [...get(rows), ...i32(1), ...sub, ...tee(rows), ...repeatIf],
  );
  return [...vector(locals), ...code, 0x0b];
}

function moduleBytes(): Uint8Array {
  const type = (params: number) => [0x60, ...vector(Array.from({ length: params }, () => [I32])), 0];
  const kernels = [
    { name: 'vertical', params: 7, body: verticalKernel() },
    { name: 'horizontalPixels', params: 10, body: horizontalPixelsKernel() },
    { name: 'horizontalGray', params: 9, body: horizontalGrayKernel() },
  ];
  const name = (s: string) => [...uleb(s.length), ...Buffer.from(s)];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(kernels.map((k) => type(k.params)))),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vector(kernels.map((_, i) => uleb(i)))),
    ...section(7, vector(kernels.map((k, i) => [...name(k.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(kernels.map((k) => [...uleb(k.body.length), ...k.body]))),
  ]);
}

type Kernel = (...args: number[]) => void;
interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
/** The part of the WebAssembly JS API used here (the service's TypeScript lib has no DOM, where its types live). */
interface WebAssemblyApi {
  Memory: new (descriptor: { initial: number }) => KernelMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

export interface LanczosKernels {
  memory: KernelMemory;
  vertical: Kernel;
  horizontalPixels: Kernel;
  horizontalGray: Kernel;
}

let kernels: LanczosKernels | undefined;

/** The kernels over one growable memory, compiled on first use (a few ms) and kept for the thread's life. */
export function lanczosKernels(): LanczosKernels {
  if (!kernels) {
    const memory = new wasm.Memory({ initial: 1 });
    const { exports } = new wasm.Instance(new wasm.Module(moduleBytes()), { env: { memory } });
    kernels = { memory, ...(exports as unknown as Omit<LanczosKernels, 'memory'>) };
  }
  return kernels;
}
/** The kernels' memory with room for `bytes` (grown in whole pages; views of it must be taken after this). */
export function kernelMemory(bytes: number): ArrayBuffer {
  const { memory } = lanczosKernels();
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65_536));
  return memory.buffer;
}
