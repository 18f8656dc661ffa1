/**
 * IEEE 754 binary16 ⇄ binary32 conversion for fp16 graph inputs and outputs. onnxruntime-node takes and returns
 * float16 tensors as Uint16Array bit patterns, and Node 20 has no Float16Array, so the conversion lives here.
 * float32 → float16 rounds to nearest, ties to even (what numpy's astype(float16) does), keeps subnormals, maps
 * overflow to ±Infinity and NaN to a quiet NaN.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Per float32 sign+exponent (bits >>> 23): the half's sign/exponent bits, how far the float mantissa shifts down, and
 * the implicit leading bit to keep (subnormal halves need it). Rounding to nearest even is then one add and shift:
 * (m + half − 1 + lsb) >>> shift; a carry out of the mantissa correctly bumps the exponent (even to Infinity).
 */
const ENCODE_BASE = new Uint16Array(512);
const ENCODE_SHIFT = new Uint8Array(512);
const ENCODE_IMPLICIT = new Uint32Array(512);
for (let index = 0; index < 512; index++) {
  const sign = index & 0x100 ? 0x8000 : 0;
  const halfExponent = (index & 0xff) - 112; // rebias 127 → 15
  if (halfExponent >= 0x1f) {
    ENCODE_BASE[index] = sign | 0x7c00; // overflow and Infinity (NaN is handled before the table)
    ENCODE_SHIFT[index] = 24;
  } else if (halfExponent >= 1) {
    ENCODE_BASE[index] = sign | (halfExponent << 10);
    ENCODE_SHIFT[index] = 13;
  } else if (halfExponent >= -10) {
    // Subnormal half: value / 2^-24 = (1.mantissa) · 2^(halfExponent + 10).
    ENCODE_BASE[index] = sign;
    ENCODE_SHIFT[index] = 14 - halfExponent;
    ENCODE_IMPLICIT[index] = 0x800000;
  } else {
    ENCODE_BASE[index] = sign; // below half the smallest subnormal: ±0
    ENCODE_SHIFT[index] = 24;
  }
}

/** Converts the bits of one float32 to the bits of the nearest float16. */
export function float32BitsToFloat16Bits(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) & 0x8000) | 0x7e00;
  const index = bits >>> 23;
  const shift = ENCODE_SHIFT[index];
  const mantissa = (bits & 0x7fffff) | ENCODE_IMPLICIT[index];
  return ENCODE_BASE[index] + ((mantissa + (1 << (shift - 1)) - 1 + ((mantissa >>> shift) & 1)) >>> shift);
}

export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  return float32BitsToFloat16Bits(u32[0]);
}

function halfBitsToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** All 65 536 half values as float32: decoding is one table read per element. */
const HALF_TO_FLOAT = (() => {
  const table = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = halfBitsToFloat(i);
  return table;
})();

export function float16BitsToFloat32(bits: number): number {
  return HALF_TO_FLOAT[bits & 0xffff];
}

/** Encodes `source` into `target` (same length, or `target` from `targetOffset`). */
export function encodeFloat16(source: Float32Array, target: Uint16Array, targetOffset = 0): void {
  if (targetOffset + source.length > target.length) {
    throw new RangeError(`float16 target holds ${target.length} values; ${targetOffset + source.length} needed`);
  }
  const bits = new Uint32Array(source.buffer, source.byteOffset, source.length);
  for (let i = 0; i < bits.length; i++) {
    // float32BitsToFloat16Bits, inlined: this loop runs over every fp16 feed each step.
    const b = bits[i];
    if ((b & 0x7fffffff) > 0x7f800000) {
      target[targetOffset + i] = ((b >>> 16) & 0x8000) | 0x7e00;
      continue;
    }
    const index = b >>> 23;
    const shift = ENCODE_SHIFT[index];
    const mantissa = (b & 0x7fffff) | ENCODE_IMPLICIT[index];
    target[targetOffset + i] = ENCODE_BASE[index] + ((mantissa + (1 << (shift - 1)) - 1 + ((mantissa >>> shift) & 1)) >>> shift);
  }
}

/** Decodes `source` into `target` (same length, or `target` from `targetOffset`). */
export function decodeFloat16(source: Uint16Array, target: Float32Array, targetOffset = 0): void {
  if (targetOffset + source.length > target.length) {
    throw new RangeError(`float32 target holds ${target.length} values; ${targetOffset + source.length} needed`);
  }
  for (let i = 0; i < source.length; i++) target[targetOffset + i] = HALF_TO_FLOAT[source[i]];
}
