/**
 * Seeded standard-normal noise for latents. xoshiro128** (Blackman & Vigna), seeded from the 32-bit seed through
 * splitmix32, turned into normals by the ziggurat method (Marsaglia & Tsang 2000, 128 layers): ~98.8% of draws cost
 * one word, a table look-up and a multiply, with no log or sqrt. Euler ancestral draws a latent's worth of normals
 * every step, so this is on the per-step path. The layer index and the value come from disjoint bits of the word
 * (low 7 / high 25), avoiding the correlation of the original, which reused the index bits in the value
 * (Leong et al. 2005). Integer math is exact in JS and V8's Math.log/exp are deterministic software (fdlibm), so
 * a seed gives the same floats on every platform.
 *
 * This does NOT reproduce torch's CPU generator (mt19937 + Box–Muller): for the same seed, results are
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
  return new ZigguratNormal(seed);
}

/** Words drawn from xoshiro per refill. */
const WORD_BLOCK = 4096;

/** Ziggurat tables for 128 layers of equal area V under the normal density; R is where the tail starts. */
const LAYERS = 128;
const LAYER_MASK = LAYERS - 1;
const R = 3.442619855899;
const V = 9.91256303526217e-3;
/** The value part of a word is a signed 25-bit integer: |j| < 2^24. */
const VALUE_SCALE = 2 ** 24;

interface ZigguratTables {
  /** |j| below this: the point is inside the layer's rectangle, accept at once. */
  accept: Float64Array;
  /** j → x. */
  width: Float64Array;
  /** Density at each layer's outer edge. */
  density: Float64Array;
}

/** Marsaglia & Tsang's `zigset`, for 25-bit signed values. */
function zigguratTables(): ZigguratTables {
  const accept = new Float64Array(LAYERS);
  const width = new Float64Array(LAYERS);
  const density = new Float64Array(LAYERS);
  let edge = R;
  let previous = R;
  const base = V / Math.exp(-0.5 * edge * edge);
  accept[0] = (edge / base) * VALUE_SCALE;
  accept[1] = 0;
  width[0] = base / VALUE_SCALE;
  width[LAYERS - 1] = edge / VALUE_SCALE;
  density[0] = 1;
  density[LAYERS - 1] = Math.exp(-0.5 * edge * edge);
  for (let i = LAYERS - 2; i >= 1; i--) {
    edge = Math.sqrt(-2 * Math.log(V / edge + Math.exp(-0.5 * edge * edge)));
    accept[i + 1] = (edge / previous) * VALUE_SCALE;
    previous = edge;
    density[i] = Math.exp(-0.5 * edge * edge);
    width[i] = edge / VALUE_SCALE;
  }
  return { accept, width, density };
}

const TABLES = zigguratTables();

class ZigguratNormal implements Generator {
  private readonly source: Xoshiro128StarStar;
  /** Raw 32-bit words drawn ahead in blocks (a tight loop, not a call per word), used strictly in order. */
  private readonly words = new Uint32Array(WORD_BLOCK);
  private nextWord = WORD_BLOCK;

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
    const { accept, width } = TABLES;
    const words = this.words;
    let k = this.nextWord;
    for (let n = 0; n < out.length; n++) {
      if (k === WORD_BLOCK) {
        this.source.fill(words);
        k = 0;
      }
      const word = words[k++];
      const layer = word & LAYER_MASK;
      const value = (word | 0) >> 7;
      if (Math.abs(value) < accept[layer]) {
        out[n] = value * width[layer];
      } else {
        this.nextWord = k;
        out[n] = this.slow(layer, value);
        k = this.nextWord;
      }
    }
    this.nextWord = k;
  }

  /** The rare cases: the tail beyond R (layer 0) or the wedge between a layer's rectangle and the curve. */
  private slow(layer: number, value: number): number {
    const { accept, width, density } = TABLES;
    for (;;) {
      if (layer === 0) {
        // Marsaglia's tail: exponential proposals accepted under the normal tail.
        let x: number;
        let y: number;
        do {
          x = -Math.log(this.uniform()) / R;
          y = -Math.log(this.uniform());
        } while (y + y < x * x);
        return value > 0 ? R + x : -R - x;
      }
      const x = value * width[layer];
      if (density[layer] + this.uniform() * (density[layer - 1] - density[layer]) < Math.exp(-0.5 * x * x)) return x;
      const word = this.word();
      layer = word & LAYER_MASK;
      value = (word | 0) >> 7;
      if (Math.abs(value) < accept[layer]) return value * width[layer];
    }
  }

  private word(): number {
    if (this.nextWord === WORD_BLOCK) {
      this.source.fill(this.words);
      this.nextWord = 0;
    }
    return this.words[this.nextWord++];
  }

  /** Uniform in (0, 1): never 0, so the logs above stay finite. */
  private uniform(): number {
    return (this.word() + 0.5) / TWO_POW_32;
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
