// Pure TypeScript mirror of the tiny SDXL graphs (float64 arithmetic on the same parameters). Tests use it to know,
// without running ORT, what each graph returns and which colour a correct pipeline paints into the masked area.
import {
  COLOUR_AMPLITUDE,
  MAX_POSITIONS,
  EMBED_ROWS,
  RESIDUAL_GAIN,
  SMALL_DIM,
  TIME_IDS_SHIFT,
  VAE_ENCODER_BIAS,
  VAE_ENCODER_MATRIX,
  tinyParameters,
} from './parameters';
import type { TextEncoderParameters } from './parameters';

export type Rgb = [number, number, number];
/** 1 = text_encoder (CLIP ViT-L, 768, pad 49407), 2 = text_encoder_2 (bigG, 1280, pad 0). */
export type EncoderIndex = 1 | 2;

/** Token ids for both tokenizers, each of length 77 as the pipeline feeds them (BOS … EOS, pad). */
export interface PromptTokens {
  ids1: ArrayLike<number>;
  ids2: ArrayLike<number>;
}

/** What the UNet sees for one batch row. */
export interface UnetConditioning {
  /** [S, 2048] row-major: te1 hidden_states.11 (768) then te2 hidden_states.31 (1280) per position. */
  encoderHiddenStates: ArrayLike<number>;
  /** [1280]: text_embeds of text_encoder_2. */
  textEmbeds: ArrayLike<number>;
  /** [6]: [orig_h, orig_w, crop_top, crop_left, target_h, target_w]. */
  timeIds: ArrayLike<number>;
}

function encoderParameters(encoder: EncoderIndex): TextEncoderParameters {
  const p = tinyParameters();
  return encoder === 1 ? p.textEncoder1 : p.textEncoder2;
}

/** The small per-position states h_0 … h_L ([S, SMALL_DIM] each) a text encoder iterates on. */
function smallStates(p: TextEncoderParameters, ids: ArrayLike<number>): Float64Array[] {
  const s = ids.length;
  if (s > MAX_POSITIONS) throw new Error(`token sequence of length ${s} is longer than ${MAX_POSITIONS}`);
  const h0 = new Float64Array(s * SMALL_DIM);
  for (let pos = 0; pos < s; pos++) {
    const row = ((ids[pos] % EMBED_ROWS) + EMBED_ROWS) % EMBED_ROWS;
    for (let c = 0; c < SMALL_DIM; c++) h0[pos * SMALL_DIM + c] = p.tokenTable[row * SMALL_DIM + c] + p.positionTable[pos * SMALL_DIM + c];
  }
  const states = [h0];
  for (let k = 0; k < p.layers; k++) {
    const prev = states[k];
    const next = new Float64Array(s * SMALL_DIM);
    const w = p.layerWeights[k];
    const b = p.layerBiases[k];
    for (let pos = 0; pos < s; pos++) {
      for (let j = 0; j < SMALL_DIM; j++) {
        let acc = b[j];
        for (let i = 0; i < SMALL_DIM; i++) acc += prev[pos * SMALL_DIM + i] * w[i * SMALL_DIM + j];
        next[pos * SMALL_DIM + j] = prev[pos * SMALL_DIM + j] + RESIDUAL_GAIN * Math.tanh(acc);
      }
    }
    states.push(next);
  }
  return states;
}

/** x [rows, SMALL_DIM] · m [SMALL_DIM, width] → [rows, width]. */
function widen(x: Float64Array, m: Float32Array, width: number): Float64Array {
  const rows = x.length / SMALL_DIM;
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < SMALL_DIM; i++) {
      const v = x[r * SMALL_DIM + i];
      for (let j = 0; j < width; j++) out[r * width + j] += v * m[i * width + j];
    }
  }
  return out;
}

/** `hidden_states.{layer}` of a text encoder for one sequence: [S, hiddenSize] row-major. */
function hiddenState(encoder: EncoderIndex, ids: ArrayLike<number>, layer: number): Float64Array {
  const p = encoderParameters(encoder);
  if (!Number.isInteger(layer) || layer < 0 || layer > p.layers) throw new Error(`layer ${layer} is not in 0..${p.layers}`);
  return widen(smallStates(p, ids)[layer], p.widen, p.hiddenSize);
}

/** `last_hidden_state`: tanh of hidden_states.L (the tiny stand-in for CLIP's final LayerNorm). */
function lastHiddenState(encoder: EncoderIndex, ids: ArrayLike<number>): Float64Array {
  const p = encoderParameters(encoder);
  return hiddenState(encoder, ids, p.layers).map(Math.tanh);
}

/**
 * The pooled vector: `pooler_output` [768] of encoder 1, `text_embeds` [1280] of encoder 2. It is the mean over ALL
 * positions of tanh(h_L), projected, so it depends on the prompt and on the padding (unlike real CLIP's EOS pooling).
 */
function pooled(encoder: EncoderIndex, ids: ArrayLike<number>): Float64Array {
  const p = encoderParameters(encoder);
  const last = smallStates(p, ids)[p.layers];
  const mean = new Float64Array(SMALL_DIM);
  const s = ids.length;
  for (let pos = 0; pos < s; pos++) for (let c = 0; c < SMALL_DIM; c++) mean[c] += Math.tanh(last[pos * SMALL_DIM + c]) / s;
  return widen(mean, p.pool, p.hiddenSize);
}

/**
 * The UNet inputs the pipeline should build for a prompt: encoder_hidden_states [S, 2048] = concat(te1
 * hidden_states.{11−clipSkip}, te2 hidden_states.{31−clipSkip}) and text_embeds [1280]; 'zeros' gives the all-zero
 * embeddings used for an undefined negative prompt (force_zeros_for_empty_prompt).
 */
function promptConditioning(tokens: PromptTokens | 'zeros', clipSkip = 0): { encoderHiddenStates: Float64Array; textEmbeds: Float64Array } {
  if (tokens === 'zeros') return { encoderHiddenStates: new Float64Array(MAX_POSITIONS * 2048), textEmbeds: new Float64Array(1280) };
  if (tokens.ids1.length !== tokens.ids2.length) throw new Error(`ids1 has ${tokens.ids1.length} tokens but ids2 has ${tokens.ids2.length}`);
  const e1 = hiddenState(1, tokens.ids1, 11 - clipSkip);
  const e2 = hiddenState(2, tokens.ids2, 31 - clipSkip);
  const s = tokens.ids1.length;
  const encoderHiddenStates = new Float64Array(s * 2048);
  for (let pos = 0; pos < s; pos++) {
    encoderHiddenStates.set(e1.subarray(pos * 768, (pos + 1) * 768), pos * 2048);
    encoderHiddenStates.set(e2.subarray(pos * 1280, (pos + 1) * 1280), pos * 2048 + 768);
  }
  return { encoderHiddenStates, textEmbeds: pooled(2, tokens.ids2) };
}

/** The time_ids a correct pipeline sends for a working size (height, width in pixels). */
function expectedTimeIds(height: number, width: number): number[] {
  return [height, width, 0, 0, height, width];
}

/**
 * The UNet's clean-image colour (RGB in [-1,1]) for one batch row:
 *   z = mean_s(encoder_hidden_states)·U + text_embeds·V        (z ∈ R³, U/V fixed tables)
 *   rgb = COLOUR_AMPLITUDE·sin(z) + TIME_IDS_SHIFT·min(Σ|time_ids − [H,W,0,0,H,W]|, 1)
 * with H, W = 8 × the latent height/width. All-zero embeddings give mid-grey (0,0,0). The sine keeps colours bounded
 * without saturating, so any change of the embeddings shows.
 */
function targetRgb(cond: UnetConditioning, latentHeight: number, latentWidth: number): Rgb {
  const { contextWeights, pooledWeights } = tinyParameters().unet;
  const ehs = cond.encoderHiddenStates;
  const s = ehs.length / 2048;
  const z = [0, 0, 0];
  for (let pos = 0; pos < s; pos++) {
    for (let i = 0; i < 2048; i++) {
      const v = ehs[pos * 2048 + i] / s;
      for (let c = 0; c < 3; c++) z[c] += v * contextWeights[i * 3 + c];
    }
  }
  for (let i = 0; i < 1280; i++) for (let c = 0; c < 3; c++) z[c] += cond.textEmbeds[i] * pooledWeights[i * 3 + c];
  const expected = expectedTimeIds(latentHeight * 8, latentWidth * 8);
  let mismatch = 0;
  for (let i = 0; i < 6; i++) mismatch += Math.abs(cond.timeIds[i] - expected[i]);
  const shift = Math.min(mismatch, 1);
  return [0, 1, 2].map((c) => COLOUR_AMPLITUDE * Math.sin(z[c]) + TIME_IDS_SHIFT[c] * shift) as Rgb;
}

/** VAE encoder mean (unscaled latent, 4 channels) of a constant colour in [-1,1]. */
function encodeColour(rgb: Rgb): number[] {
  return VAE_ENCODER_MATRIX.map((row, c) => VAE_ENCODER_BIAS[c] + row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2]);
}

/** VAE decoder colour (RGB in [-1,1]) of an unscaled latent (the pipeline divides by 0.13025 before decoding). */
function decodeLatent(latent: ArrayLike<number>): Rgb {
  const m = tinyParameters().vaeDecoderMatrix;
  const centred = [0, 1, 2, 3].map((c) => latent[c] - VAE_ENCODER_BIAS[c]);
  return [0, 1, 2].map((r) => centred.reduce((sum, v, c) => sum + m[r * 4 + c] * v, 0)) as Rgb;
}

/**
 * σ(t) of the training schedule at a (possibly fractional) timestep t ∈ [0, 999]: linear in log σ between the integer
 * neighbours, the exact inverse of diffusers' `_sigma_to_t` (low index clipped to 998, as there).
 */
function sigma(t: number): number {
  const logSigmas = tinyParameters().logSigmas;
  const low = Math.min(Math.max(Math.floor(t), 0), 998);
  const w = t - low;
  return Math.exp(logSigmas[low] + w * (logSigmas[low + 1] - logSigmas[low]));
}

/**
 * The ε the UNet returns for one latent value: the UNet input x_in = x/sqrt(σ²+1) is the VP latent
 * sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε with ᾱ = 1/(σ²+1), so ε = (x_in·sqrt(σ²+1) − x0)/σ.
 */
function epsilon(xIn: number, x0: number, t: number): number {
  const s = sigma(t);
  return (xIn * Math.sqrt(s * s + 1) - x0) / s;
}

/** The x_in that makes the UNet return `eps` at timestep t for clean latent x0 (the forward noising). */
function noisedInput(x0: number, eps: number, t: number): number {
  const s = sigma(t);
  return (x0 + s * eps) / Math.sqrt(s * s + 1);
}

export interface FillColourRequest {
  prompt: PromptTokens;
  /** Negative prompt tokens; omit for an undefined negative prompt (all-zero embeddings, no encoder run). */
  negative?: PromptTokens;
  /** CFG scale g; CFG is on when g > 1 (as in diffusers). */
  guidance: number;
  /** Working size in pixels (multiples of 8). */
  height: number;
  width: number;
  /** Override the time_ids rows the pipeline sends (default: the correct [H, W, 0, 0, H, W] for both). */
  timeIds?: { positive?: ArrayLike<number>; negative?: ArrayLike<number> };
  /** clip_skip k (positive prompt only, as in diffusers): uses hidden_states.{11−k} / .{31−k}. */
  clipSkip?: number;
}

export interface FillColour {
  /** Unclamped RGB in [-1,1] image space. */
  rgb: Rgb;
  /** What the pipeline's postprocess makes of it: round(clamp(rgb/2 + 0.5, 0, 1)·255). */
  rgb8: Rgb;
}

/**
 * The colour a correct pipeline paints into every masked latent block (mask = top-left pixel of the 8×8 block),
 * whatever the step count, strength or seed: the UNet's ε is exact for a known clean latent, so every x0 prediction
 * is the CFG combination x0_u + g·(x0_c − x0_u), and a scheduler whose last step goes to σ = 0 lands on it; the affine
 * VAE maps that back to rgb_u + g·(rgb_c − rgb_u). Exact for Euler, Euler-a, DPM++ 2M (Karras), UniPC. Not exact:
 * DDIM with set_alpha_to_one=false ends at ᾱ_0, leaving noise of std ≈ 0.029/0.13025 latent units (compare region
 * means), and guidance_rescale > 0 changes ε's scale. fp16 rounding adds < 1 level; allow ±2 levels of 255.
 * Unmasked blocks come back as the block average of the (resized) input image, plus the VAE's sampling noise
 * (std ≈ 0.001 in [-1,1] colour units).
 */
function fillColour(req: FillColourRequest): FillColour {
  const latentHeight = req.height / 8;
  const latentWidth = req.width / 8;
  const correct = expectedTimeIds(req.height, req.width);
  const cond = promptConditioning(req.prompt, req.clipSkip ?? 0);
  const positive = targetRgb({ ...cond, timeIds: req.timeIds?.positive ?? correct }, latentHeight, latentWidth);
  let rgb = positive;
  if (req.guidance > 1) {
    const uncond = promptConditioning(req.negative ?? 'zeros');
    const negative = targetRgb({ ...uncond, timeIds: req.timeIds?.negative ?? req.timeIds?.positive ?? correct }, latentHeight, latentWidth);
    rgb = [0, 1, 2].map((c) => negative[c] + req.guidance * (positive[c] - negative[c])) as Rgb;
  }
  const rgb8 = rgb.map((v) => Math.round(Math.min(Math.max(v * 0.5 + 0.5, 0), 1) * 255)) as Rgb;
  return { rgb, rgb8 };
}

/**
 * The oracle. Token ids come from the caller (the project's CLIP tokenizer, or `simplePromptIds` for prompts made
 * of whole vocabulary words), so it needs no tokenizer of its own.
 */
export const tinyOracle = {
  fillColour,
  promptConditioning,
  expectedTimeIds,
  targetRgb,
  hiddenState,
  lastHiddenState,
  pooled,
  encodeColour,
  decodeLatent,
  sigma,
  epsilon,
  noisedInput,
};
