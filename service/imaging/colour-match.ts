/**
 * Colour match: removes the colour cast a generation carries (the "bubble" a pasted-back fill shows against its
 * surroundings). SDXL repaints the whole working image, so on the ring of unmasked pixels around the selection we
 * have both what it generated and what the original is: there the two should agree. Per CIELAB channel, the affine
 * map that takes the generated ring's mean and spread onto the original ring's is applied to the generated region.
 *
 * Why this and not "the region's statistics := the ring's": a prompt asks for something that is not its
 * surroundings (a red ball on grass); forcing its mean onto the grass would erase it. Measured on the ring, the
 * correction is the model's drift alone. Why LAB: lightness and the two chroma axes are nearly uncorrelated there
 * (Reinhard et al., "Color transfer between images", 2001), so a cast is corrected without moving brightness, and
 * equal steps look equally large. Pure typed-array code.
 */
import type { Rect, Size } from '../../core/geometry';

/** Fewer ring samples than this give no reliable statistics: nothing is changed. */
export const MIN_RING_PIXELS = 64;
/** Ring statistics read at most about this many pixels (evenly strided): more change nothing but the time. */
const RING_SAMPLES = 65_536;
/** The spread is scaled by at most this factor either way (a flat ring must not blow up the region's texture). */
const MAX_GAIN = 2;

/** How far around the selection's bounds the ring reaches: 10 % of their longest side, 8–64 pixels. */
export function ringWidth(bounds: Rect): number {
  return Math.min(64, Math.max(8, Math.round(0.1 * Math.max(bounds.width, bounds.height))));
}

/** The selection's bounds grown by the ring width, inside the crop: the area colour matching reads. */
export function colourMatchArea(bounds: Rect, crop: Size): Rect {
  const r = ringWidth(bounds);
  const x = Math.max(0, bounds.x - r);
  const y = Math.max(0, bounds.y - r);
  const right = Math.min(crop.width, bounds.x + bounds.width + r);
  const bottom = Math.min(crop.height, bounds.y + bounds.height + r);
  return { x, y, width: right - x, height: bottom - y };
}

function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

const SRGB_TO_LINEAR = Float64Array.from({ length: 256 }, (_, v) => srgbToLinear(v / 255));
// D65 white.
const XN = 0.95047;
const ZN = 1.08883;
const EPSILON = 216 / 24389;
const KAPPA = 24389 / 27;

/**
 * Cube root on [0, 1] (the range of X/Xn, Y, Z/Zn for sRGB) without Math.cbrt, which alone costs more than the
 * rest of a conversion: t^(−1/3) read from a table with linear interpolation, one Newton step for it (no division),
 * then one for the root itself. Within 1 ulp of Math.cbrt: a byte that comes out of it differs only when the value
 * sits within 1e-15 of a rounding boundary.
 */
const CBRT_STEPS = 4096;
// Entries below EPSILON (where f is linear) are never read.
const INVERSE_CBRT = Float64Array.from({ length: CBRT_STEPS + 2 }, (_, i) => (i === 0 ? 0 : (i / CBRT_STEPS) ** (-1 / 3)));
const THIRD = 1 / 3;

function cbrt(t: number): number {
  const x = t * CBRT_STEPS;
  const i = Math.min(x | 0, CBRT_STEPS);
  let r = INVERSE_CBRT[i] + (INVERSE_CBRT[i + 1] - INVERSE_CBRT[i]) * (x - i);
  r = r * (4 - t * r * r * r) * THIRD;
  const y = t * r * r;
  return y + (t - y * y * y) * r * r * THIRD;
}

// Constant divisions as products: each within an ulp of the quotient, far below what moves a byte.
const INVERSE_XN = 1 / XN;
const INVERSE_ZN = 1 / ZN;
const INVERSE_116 = 1 / 116;
const INVERSE_KAPPA = 1 / KAPPA;

function f(t: number): number {
  return t > EPSILON ? cbrt(t) : (KAPPA * t + 16) * INVERSE_116;
}

function fInverse(t: number): number {
  const t3 = t * t * t;
  return t3 > EPSILON ? t3 : (116 * t - 16) * INVERSE_KAPPA;
}

/** 8-bit sRGB → CIELAB (D65), written into out[0..2]. */
export function rgbToLab(r: number, g: number, b: number, out: Float64Array): void {
  const lr = SRGB_TO_LINEAR[r];
  const lg = SRGB_TO_LINEAR[g];
  const lb = SRGB_TO_LINEAR[b];
  const fx = f((0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) * INVERSE_XN);
  const fy = f(0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb);
  const fz = f((0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) * INVERSE_ZN);
  out[0] = 116 * fy - 16;
  out[1] = 500 * (fx - fy);
  out[2] = 200 * (fy - fz);
}

/** LINEAR_STEPS[b] is the linear value where sRGB byte b begins ((b − ½)/255 encoded); b = 1..255, [256] = ∞. */
const LINEAR_STEPS = Float64Array.from({ length: 257 }, (_, b) => (b === 0 ? -Infinity : b === 256 ? Infinity : srgbToLinear((b - 0.5) / 255)));
/**
 * SRGB_BUCKETS[i]: the byte at linear i/BUCKETS. Byte boundaries are ≥ 3.0e-4 apart in linear light (the steepest
 * part, 1/(255·12.92)), more than a bucket's width, so a bucket holds at most one: the table's guess is off by at
 * most one, and one comparison settles it exactly.
 */
const BUCKETS = 4096;
const SRGB_BUCKETS = Uint8Array.from({ length: BUCKETS }, (_, i) => {
  let b = 0;
  while (LINEAR_STEPS[b + 1] <= i / BUCKETS) b++;
  return b;
});

/** Linear → the 8-bit sRGB value it rounds to (clamped): the b with LINEAR_STEPS[b] ≤ c < LINEAR_STEPS[b + 1]. */
function linearToSrgb8(c: number): number {
  if (!(c > 0)) return 0;
  if (c >= 1) return 255;
  // c·BUCKETS is exact (a power of two), so the bucket is exactly the one c lies in.
  const b = SRGB_BUCKETS[(c * BUCKETS) | 0];
  return LINEAR_STEPS[b + 1] <= c ? b + 1 : b;
}

/** CIELAB (D65) → 8-bit sRGB (rounded, clamped), written into out[0..2]. */
export function labToRgb(l: number, a: number, b: number, out: Uint8Array, offset: number): void {
  const fy = (l + 16) * INVERSE_116;
  const x = XN * fInverse(fy + a * 0.002);
  const y = fInverse(fy);
  const z = ZN * fInverse(fy - b * 0.005);
  out[offset] = linearToSrgb8(3.2404542 * x - 1.5371385 * y - 0.4985314 * z);
  out[offset + 1] = linearToSrgb8(-0.969266 * x + 1.8760108 * y + 0.041556 * z);
  out[offset + 2] = linearToSrgb8(0.0556434 * x - 0.2040259 * y + 1.0572252 * z);
}

export interface ColourMatchInput {
  /** Generated RGB covering `frame` of the original (frame.width·frame.height·3); corrected in place. */
  generated: Uint8Array;
  /** Where `generated` lies in the original's pixels; must contain `area`. Default: `area` itself. */
  frame?: Rect;
  /** The original pixels (RGB or RGBA) and its mask (gray, 0 = untouched), the same size as each other. */
  original: { width: number; channels: number; data: Uint8Array };
  mask: Uint8Array;
  /** The selection's bounds and the ring around them (colourMatchArea): the ring is its unmasked pixels. */
  area: Rect;
}

/** Per-channel affine correction (gain, offset) in LAB; null when there is too little ring or nothing to correct. */
export function colourCorrection(input: ColourMatchInput): { gain: Float64Array; offset: Float64Array } | null {
  const { generated, original, mask, area } = input;
  const frame = input.frame ?? area;
  const sums = new Float64Array(12); // generated Σ, Σ² then original Σ, Σ², for L, a, b
  const lab = new Float64Array(3);
  // A stride over the area's pixels; odd, so it does not fall into step with the rows.
  const stride = Math.max(1, Math.floor((area.width * area.height) / RING_SAMPLES)) | 1;
  let n = 0;
  for (let i = 0; i < area.width * area.height; i += stride) {
    const y = area.y + Math.floor(i / area.width);
    const x = area.x + (i % area.width);
    const p = y * original.width + x;
    if (mask[p] !== 0) continue;
    n++;
    const g = ((y - frame.y) * frame.width + (x - frame.x)) * 3;
    rgbToLab(generated[g], generated[g + 1], generated[g + 2], lab);
    for (let c = 0; c < 3; c++) {
      sums[c] += lab[c];
      sums[3 + c] += lab[c] * lab[c];
    }
    const o = p * original.channels;
    rgbToLab(original.data[o], original.data[o + 1], original.data[o + 2], lab);
    for (let c = 0; c < 3; c++) {
      sums[6 + c] += lab[c];
      sums[9 + c] += lab[c] * lab[c];
    }
  }
  if (n < MIN_RING_PIXELS) return null;
  const gain = new Float64Array(3);
  const offset = new Float64Array(3);
  let identity = true;
  for (let c = 0; c < 3; c++) {
    const meanG = sums[c] / n;
    const meanO = sums[6 + c] / n;
    const stdG = Math.sqrt(Math.max(0, sums[3 + c] / n - meanG * meanG));
    const stdO = Math.sqrt(Math.max(0, sums[9 + c] / n - meanO * meanO));
    gain[c] = stdG > 1e-3 ? Math.min(MAX_GAIN, Math.max(1 / MAX_GAIN, stdO / stdG)) : 1;
    offset[c] = meanO - gain[c] * meanG;
    // Below a hundredth of a LAB unit the correction cannot change a byte.
    if (Math.abs(gain[c] - 1) > 1e-4 || Math.abs(offset[c]) > 1e-2) identity = false;
  }
  return identity ? null : { gain, offset };
}

/**
 * Corrects the generated pixels in place; returns false when nothing was changed. By default the ones under the mask
 * (mask > 0) inside `area`; with `correct`, every pixel of that rectangle (within `frame`): for an image that is
 * resampled afterwards, whose pixels just outside the selection still feed its edge.
 */
export function matchColours(input: ColourMatchInput, correct?: Rect): boolean {
  const correction = colourCorrection(input);
  if (!correction) return false;
  const { generated, original, mask, area } = input;
  const frame = input.frame ?? area;
  const rect = correct ?? area;
  const [gainL, gainA, gainB] = correction.gain;
  const [offsetL, offsetA, offsetB] = correction.offset;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const maskRow = y * original.width;
    for (let x = rect.x, g = ((y - frame.y) * frame.width + rect.x - frame.x) * 3; x < rect.x + rect.width; x++, g += 3) {
      if (!correct && mask[maskRow + x] === 0) continue;
      const rgb = correctColour((generated[g] << 16) | (generated[g + 1] << 8) | generated[g + 2], gainL, gainA, gainB, offsetL, offsetA, offsetB);
      generated[g] = rgb >> 16;
      generated[g + 1] = (rgb >> 8) & 255;
      generated[g + 2] = rgb & 255;
    }
  }
  return true;
}

/**
 * rgbToLab → the affine map → labToRgb for one packed 0xRRGGBB colour, the same arithmetic written out in locals:
 * V8 does not inline f and fInverse six times over, and the calls cost a third of the time.
 */
function correctColour(rgb: number, gainL: number, gainA: number, gainB: number, offsetL: number, offsetA: number, offsetB: number): number {
  const lr = SRGB_TO_LINEAR[rgb >> 16];
  const lg = SRGB_TO_LINEAR[(rgb >> 8) & 255];
  const lb = SRGB_TO_LINEAR[rgb & 255];
  const tx = (0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) * INVERSE_XN;
  const ty = 0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb;
  const tz = (0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) * INVERSE_ZN;
  const fx = tx > EPSILON ? cbrt(tx) : (KAPPA * tx + 16) * INVERSE_116;
  const fy = ty > EPSILON ? cbrt(ty) : (KAPPA * ty + 16) * INVERSE_116;
  const fz = tz > EPSILON ? cbrt(tz) : (KAPPA * tz + 16) * INVERSE_116;
  const fy2 = (gainL * (116 * fy - 16) + offsetL + 16) * INVERSE_116;
  const fx2 = fy2 + (gainA * (500 * (fx - fy)) + offsetA) * 0.002;
  const fz2 = fy2 - (gainB * (200 * (fy - fz)) + offsetB) * 0.005;
  const cx = fx2 * fx2 * fx2;
  const cy = fy2 * fy2 * fy2;
  const cz = fz2 * fz2 * fz2;
  const x = XN * (cx > EPSILON ? cx : (116 * fx2 - 16) * INVERSE_KAPPA);
  const y = cy > EPSILON ? cy : (116 * fy2 - 16) * INVERSE_KAPPA;
  const z = ZN * (cz > EPSILON ? cz : (116 * fz2 - 16) * INVERSE_KAPPA);
  return (
    (linearToSrgb8(3.2404542 * x - 1.5371385 * y - 0.4985314 * z) << 16) |
    (linearToSrgb8(-0.969266 * x + 1.8760108 * y + 0.041556 * z) << 8) |
    linearToSrgb8(0.0556434 * x - 0.2040259 * y + 1.0572252 * z)
  );
}
