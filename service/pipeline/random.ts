/**
 * Seeded standard-normal noise for latents. xoshiro128** (Blackman & Vigna), seeded from the 32-bit seed through
 * splitmix32, with Marsaglia's polar method for the pairs (Box–Muller without the sine and cosine: Euler ancestral
 * draws a latent's worth of normals every step, so this is on the per-step path). Integer math is exact in JS and
 * V8's Math.log/sqrt are software (fdlibm) or IEEE-exact, so a seed gives the same floats on every platform.
 *
 * This does NOT reproduce torch's CPU generator (mt19937 + its own Box–Muller layout): for the same seed, results are
 * statistically, not bitwise, equal to diffusers'.
 */

export interface Generator {
  /** Fills `out` with independent N(0, 1) samples, continuing the stream (how it is split into calls doesn't matter). */
  normal(out: Float32Array): void;
}

const TWO_POW_32 = 4294967296;

export function createGenerator(seed: number): Generator {
  if (!Number.isInteger(seed) || seed < 0 || seed >= TWO_POW_32) {
    throw new Error(`seed ${seed} must be an integer from 0 to 2^32−1`);
  }
  return new PolarNormal(seed);
}

/** Words drawn from xoshiro per refill; even, because the polar method always takes two at a time. */
const WORD_BLOCK = 4096;

class PolarNormal implements Generator {
  private readonly source: Xoshiro128StarStar;
  /** Raw 32-bit words drawn ahead in blocks (a tight loop, not a call per word), used strictly in order. */
  private readonly words = new Uint32Array(WORD_BLOCK);
  private nextWord = WORD_BLOCK;
  /** The polar method makes values in pairs; the second waits here for the next request. */
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    // splitmix32 expands the seed, so nearby seeds give unrelated states (and the state is never all zero).
    let x = seed | 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.source = new Xoshiro128StarStar([next(), next(), next(), next()]);
  }

  normal(out: Float32Array): void {
    let i = 0;
    if (this.hasSpare && out.length > 0) {
      out[i++] = this.spare;
      this.hasSpare = false;
    }
    for (; i + 1 < out.length; i += 2) {
      this.pair(out, i);
    }
    if (i < out.length) {
      const two = new Float32Array(2);
      this.pair(two, 0);
      out[i] = two[0];
      this.spare = two[1];
      this.hasSpare = true;
    }
  }

  /** Marsaglia polar: a uniform point in the unit disc (rejection, ~21% redrawn), scaled by sqrt(−2 ln s / s). */
  private pair(out: Float32Array, at: number): void {
    const words = this.words;
    let k = this.nextWord;
    let u: number;
    let v: number;
    let s: number;
    do {
      if (k === WORD_BLOCK) {
        this.source.fill(words);
        k = 0;
      }
      u = (words[k] * 2) / TWO_POW_32 - 1;
      v = (words[k + 1] * 2) / TWO_POW_32 - 1;
      k += 2;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    this.nextWord = k;
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    out[at] = u * factor;
    out[at + 1] = v * factor;
  }
}

/** xoshiro128** 1.1 (Blackman & Vigna, public domain reference `xoshiro128starstar.c`): 32-bit outputs. */
export class Xoshiro128StarStar {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Four 32-bit words, not all zero. */
  constructor(state: readonly [number, number, number, number]) {
    if (state.every((word) => (word | 0) === 0)) throw new Error('xoshiro128** state must not be all zero');
    [this.s0, this.s1, this.s2, this.s3] = state.map((word) => word | 0);
  }

  /** Fills `out` with the next out.length outputs, exactly as that many nextUint32() calls would. */
  fill(out: Uint32Array): void {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    for (let i = 0; i < out.length; i++) {
      out[i] = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
