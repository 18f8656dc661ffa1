import { describe, expect, it } from 'vitest';
import {
  decodeFloat16,
  encodeFloat16,
  float16BitsToFloat32,
  float32BitsToFloat16Bits,
  float32ToFloat16Bits,
} from '../../service/runtime/float16';

const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

describe('float32 → float16', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite half
    [65519, 0x7bff], // below the halfway point to 65536
    [65520, 0x7c00], // halfway: ties to even = Infinity
    [1e9, 0x7c00],
    [-1e9, 0xfc00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [0, 0x0000],
    [-0, 0x8000],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exactly half the smallest subnormal: ties to even (0)
    [2 ** -25 * 1.0001, 0x0001],
    [3 * 2 ** -25, 0x0002], // 1.5 subnormal units: ties to even (2)
    [1023.5 * 2 ** -24, 0x0400], // rounds up out of the subnormals into the smallest normal
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: even mantissa wins
    [1 + 3 * 2 ** -11, 0x3c02], // tie between odd and even: rounds up to even
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
    [951, 0x636e],
    [950.75, 0x636e], // fp16 spacing is 0.5 in 512..1024: 950.75 is a tie, 950.5 (odd) vs 951 (even)
  ])('%d → %s', (value, bits) => {
    expect(hex(float32ToFloat16Bits(value))).toBe(hex(bits));
  });

  it('maps NaN to a quiet NaN', () => {
    const bits = float32ToFloat16Bits(NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x03ff).not.toBe(0);
    expect(float32BitsToFloat16Bits(0x7f800001) & 0x3ff).not.toBe(0); // signalling float NaN stays NaN
  });

  it('round-trips every finite half value exactly', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exponent = (bits >>> 10) & 0x1f;
      if (exponent === 0x1f && (bits & 0x3ff) !== 0) continue; // NaN payloads are canonicalised
      expect(float32ToFloat16Bits(float16BitsToFloat32(bits))).toBe(bits);
    }
  });

  it('rounds to the nearest half across the whole range (checked against decoding neighbours)', () => {
    const values = [0.1, -0.3333, 3.14159, 1000.3, 12345.678, 6.1e-5, 3e-7, -7.7e-6];
    for (const value of values) {
      const f = Math.fround(value);
      const bits = float32ToFloat16Bits(f);
      const chosen = float16BitsToFloat32(bits);
      const up = float16BitsToFloat32(bits + 1);
      const down = float16BitsToFloat32(bits - 1);
      expect(Math.abs(chosen - f)).toBeLessThanOrEqual(Math.abs(up - f));
      expect(Math.abs(chosen - f)).toBeLessThanOrEqual(Math.abs(down - f));
    }
  });
});

describe('float16 arrays', () => {
  it('encodes and decodes arrays at an offset', () => {
    const source = Float32Array.of(1, -2, 0.5, Infinity);
    const bits = new Uint16Array(6);
    encodeFloat16(source, bits, 2);
    expect([...bits]).toEqual([0, 0, 0x3c00, 0xc000, 0x3800, 0x7c00]);
    const back = new Float32Array(4);
    decodeFloat16(bits.subarray(2), back);
    expect([...back]).toEqual([1, -2, 0.5, Infinity]);
  });

  it('the array encoder agrees with the scalar one on edge cases and random values', () => {
    const edges = [1, -2, 65504, 65519, 65520, -1e9, Infinity, -Infinity, NaN, 0, -0, 2 ** -14, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 1023.5 * 2 ** -24, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 950.75, 1e-40];
    const values = Float32Array.from([...edges, ...Array.from({ length: 2000 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 14) - 8))]);
    const bits = new Uint16Array(values.length);
    encodeFloat16(values, bits);
    values.forEach((v, i) => expect(hex(bits[i]), `value ${v}`).toBe(hex(float32ToFloat16Bits(v))));
  });

  it('decodes subnormals, signed zero and NaN', () => {
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
  });

  it('refuses a target that is too short', () => {
    expect(() => encodeFloat16(new Float32Array(3), new Uint16Array(2))).toThrow(/holds 2 values; 3 needed/);
  });
});
