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

const SRGB_TO_LINEAR = Float64Array.from({ length: 256 }, (_, v) => srgbToLinear(v / 255));
// D65 white.
const XN = 0.95047;
const ZN = 1.08883;
const EPSILON = 216 / 24389;
const KAPPA = 24389 / 27;

function f(t: number): number {
  return t > EPSILON ? Math.cbrt(t) : (KAPPA * t + 16) / 116;
}

function fInverse(t: number): number {
  const t3 = t * t * t;
  return t3 > EPSILON ? t3 : (116 * t - 16) / KAPPA;
}

/** 8-bit sRGB → CIELAB (D65), written into out[0..2]. */
export function rgbToLab(r: number, g: number, b: number, out: Float64Array): void {
  const lr = SRGB_TO_LINEAR[r];
  const lg = SRGB_TO_LINEAR[g];
  const lb = SRGB_TO_LINEAR[b];
  const fx = f((0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / XN);
  const fy = f(0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb);
  const fz = f((0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) / ZN);
  out[0] = 116 * fy - 16;
  out[1] = 500 * (fx - fy);
  out[2] = 200 * (fy - fz);
}

function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

/** LINEAR_STEPS[b] is the linear value where sRGB byte b begins ((b − ½)/255 encoded); b = 1..255. */
const LINEAR_STEPS = Float64Array.from({ length: 256 }, (_, b) => (b === 0 ? -Infinity : srgbToLinear((b - 0.5) / 255)));

/** Linear → the 8-bit sRGB value it rounds to (clamped): a binary search instead of a pow per channel. */
function linearToSrgb8(c: number): number {
  let low = 0;
  let high = 255;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (LINEAR_STEPS[mid] <= c) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** CIELAB (D65) → 8-bit sRGB (rounded, clamped), written into out[0..2]. */
export function labToRgb(l: number, a: number, b: number, out: Uint8Array, offset: number): void {
  const fy = (l + 16) / 116;
  const x = XN * fInverse(fy + a / 500);
  const y = fInverse(fy);
  const z = ZN * fInverse(fy - b / 200);
  out[offset] = linearToSrgb8(3.2404542 * x - 1.5371385 * y - 0.4985314 * z);
  out[offset + 1] = linearToSrgb8(-0.969266 * x + 1.8760108 * y + 0.041556 * z);
  out[offset + 2] = linearToSrgb8(0.0556434 * x - 0.2040259 * y + 1.0572252 * z);
}

export interface ColourMatchInput {
  /** Generated RGB over `area` of the crop (area.width·area.height·3); corrected in place. */
  generated: Uint8Array;
  /** The crop's original pixels (RGB or RGBA) and its mask (gray, 0 = untouched). */
  original: { width: number; channels: number; data: Uint8Array };
  mask: Uint8Array;
  area: Rect;
}

/** Per-channel affine correction (gain, offset) in LAB; null when there is too little ring or nothing to correct. */
export function colourCorrection(input: ColourMatchInput): { gain: Float64Array; offset: Float64Array } | null {
  const { generated, original, mask, area } = input;
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
    const g = ((y - area.y) * area.width + (x - area.x)) * 3;
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

/** Corrects the generated pixels under the mask (mask > 0) in place; returns false when nothing was changed. */
export function matchColours(input: ColourMatchInput): boolean {
  const correction = colourCorrection(input);
  if (!correction) return false;
  const { generated, original, mask, area } = input;
  const { gain, offset } = correction;
  const lab = new Float64Array(3);
  for (let y = area.y; y < area.y + area.height; y++) {
    for (let x = area.x; x < area.x + area.width; x++) {
      if (mask[y * original.width + x] === 0) continue;
      const g = ((y - area.y) * area.width + (x - area.x)) * 3;
      rgbToLab(generated[g], generated[g + 1], generated[g + 2], lab);
      labToRgb(gain[0] * lab[0] + offset[0], gain[1] * lab[1] + offset[1], gain[2] * lab[2] + offset[2], generated, g);
    }
  }
  return true;
}
