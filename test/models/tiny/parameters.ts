// The fixed numbers behind the tiny SDXL models. The graph builders and the TypeScript oracle both read them from
// here, so the oracle mirrors the graphs by construction.

/** VAE scaling factor of the real model (vae config `scaling_factor`); the pipeline applies it, the graphs do not. */
export const VAE_SCALING_FACTOR = 0.13025;
/** Tokenizer sequence length (CLIP `model_max_length`). */
export const MAX_POSITIONS = 77;
/** Token ids are folded into this many embedding rows (id mod EMBED_ROWS): a full 49408-row table would be huge. */
export const EMBED_ROWS = 997;
/** Weight of each text-encoder layer's update on its residual stream. */
export const RESIDUAL_GAIN = 0.5;
/** Width of the cheap per-position state the text encoders iterate on before widening it to 768/1280. */
export const SMALL_DIM = 8;
/** Constant log-variance of the VAE encoder: sampling noise std = exp(-6) ≈ 0.0025, tiny but present. */
export const VAE_LOGVAR = -12;
/** Half-range of the prompt colour around mid-grey, in [-1,1] image units (before CFG amplifies it). */
export const COLOUR_AMPLITUDE = 0.12;
/** Colour shift (RGB, [-1,1] units) the UNet adds to a batch row whose time_ids are not [H, W, 0, 0, H, W]. */
export const TIME_IDS_SHIFT = [0.4, -0.4, 0.4] as const;

/** Fixed 3→4 colour-to-latent matrix (row = latent channel); channel 3 is the sum of R, G and B. */
export const VAE_ENCODER_MATRIX = [
  [2.0, 1.0, 0.5],
  [-1.0, 2.0, 0.5],
  [0.5, -1.0, 2.0],
  [1.0, 1.0, 1.0],
] as const;
/** Latent of mid-grey (RGB 0 in [-1,1] space): the encoder's bias. */
export const VAE_ENCODER_BIAS = [0.3, -0.2, 0.1, 0.4] as const;

export interface TextEncoderParameters {
  hiddenSize: number;
  /** Transformer layers L: the graph outputs hidden_states.0 … hidden_states.L. */
  layers: number;
  /** [EMBED_ROWS, SMALL_DIM] token table, indexed by id mod EMBED_ROWS. */
  tokenTable: Float32Array;
  /** [MAX_POSITIONS, SMALL_DIM] position table. */
  positionTable: Float32Array;
  /**
   * Per layer k = 1..L (residual, like CLIP, so the token information survives 32 layers):
   * h_k = h_{k−1} + RESIDUAL_GAIN·tanh(h_{k−1}·layerWeights[k−1] + layerBiases[k−1]); weights [SMALL_DIM, SMALL_DIM].
   */
  layerWeights: Float32Array[];
  layerBiases: Float32Array[];
  /** [SMALL_DIM, hiddenSize]: hidden_states.k = h_k · widen. */
  widen: Float32Array;
  /** [SMALL_DIM, hiddenSize]: pooler_output / text_embeds = mean over positions of tanh(h_L), times this. */
  pool: Float32Array;
}

export interface UnetParameters {
  /** [2048, 3]: colour angle from the sequence mean of encoder_hidden_states. */
  contextWeights: Float32Array;
  /** [1280, 3]: colour angle from text_embeds. */
  pooledWeights: Float32Array;
}

export interface TinyParameters {
  textEncoder1: TextEncoderParameters;
  textEncoder2: TextEncoderParameters;
  unet: UnetParameters;
  /** Row-major [3, 4] pseudo-inverse of VAE_ENCODER_MATRIX (latent → colour). */
  vaeDecoderMatrix: Float64Array;
  /** log σ_i of the 1000-step training schedule, float32 as diffusers computes it. */
  logSigmas: Float32Array;
}

/** mulberry32: a tiny seeded PRNG, so every run (and the oracle) sees the same tables. */
function uniformSource(seed: number): (scale: number, n: number) => Float32Array {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (scale, n) => Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
}

function textEncoderParameters(seed: number, hiddenSize: number, layers: number): TextEncoderParameters {
  const uniform = uniformSource(seed);
  // Layer weights with std 1/√d (uniform half-range √3·std): updates of order one, neither vanishing nor saturating.
  const weightRange = Math.sqrt(3 / SMALL_DIM);
  return {
    hiddenSize,
    layers,
    tokenTable: uniform(1, EMBED_ROWS * SMALL_DIM),
    positionTable: uniform(0.5, MAX_POSITIONS * SMALL_DIM),
    layerWeights: Array.from({ length: layers }, () => uniform(weightRange, SMALL_DIM * SMALL_DIM)),
    layerBiases: Array.from({ length: layers }, () => uniform(0.1, SMALL_DIM)),
    widen: uniform(1 / Math.sqrt(SMALL_DIM), SMALL_DIM * hiddenSize),
    pool: uniform(1 / Math.sqrt(SMALL_DIM), SMALL_DIM * hiddenSize),
  };
}

/** Training schedule as diffusers builds it in float32 (scaled_linear 0.00085..0.012, 1000 steps); returns log σ_i. */
function trainingLogSigmas(): Float32Array {
  const n = 1000;
  const start = Math.sqrt(0.00085);
  const end = Math.sqrt(0.012);
  const logSigmas = new Float32Array(n);
  let cumprod = 1;
  for (let i = 0; i < n; i++) {
    const beta = Math.fround(Math.fround(start + ((end - start) * i) / (n - 1)) ** 2);
    cumprod *= Math.fround(1 - beta);
    const alphaBar = Math.fround(cumprod);
    logSigmas[i] = Math.log(Math.fround(Math.sqrt((1 - alphaBar) / alphaBar)));
  }
  return logSigmas;
}

/** Moore–Penrose pseudo-inverse (AᵀA)⁻¹Aᵀ of the 4×3 encoder matrix, as a row-major [3, 4] array. */
function pseudoInverse(a: readonly (readonly number[])[]): Float64Array {
  const ata = [0, 1, 2].map((i) => [0, 1, 2].map((j) => a.reduce((s, row) => s + row[i] * row[j], 0)));
  const [[p, q, r], [s, t, u], [v, w, x]] = ata;
  const det = p * (t * x - u * w) - q * (s * x - u * v) + r * (s * w - t * v);
  const inv = [
    [t * x - u * w, r * w - q * x, q * u - r * t],
    [u * v - s * x, p * x - r * v, r * s - p * u],
    [s * w - t * v, q * v - p * w, p * t - q * s],
  ].map((row) => row.map((c) => c / det));
  const out = new Float64Array(12);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) out[i * 4 + j] = inv[i].reduce((sum, c, k) => sum + c * a[j][k], 0);
  return out;
}

let cached: TinyParameters | undefined;

/** All tiny-model parameters (deterministic; built once per process). */
export function tinyParameters(): TinyParameters {
  if (!cached) {
    const uniform = uniformSource(0x5d1f);
    // Scales chosen so one changed token moves the colour angle by about a radian (see the oracle's sin()).
    cached = {
      textEncoder1: textEncoderParameters(0x7e1, 768, 12),
      textEncoder2: textEncoderParameters(0x7e2, 1280, 32),
      unet: { contextWeights: uniform(2, 2048 * 3), pooledWeights: uniform(4, 1280 * 3) },
      vaeDecoderMatrix: pseudoInverse(VAE_ENCODER_MATRIX),
      logSigmas: trainingLogSigmas(),
    };
  }
  return cached;
}
