import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromFloat16Bits, toFloat16Bits } from './onnx/float16';
import {
  TIME_IDS_SHIFT,
  TOKENIZER_SKIP_MESSAGE,
  VAE_LOGVAR,
  VAE_SCALING_FACTOR,
  generateTinySdxl,
  simplePromptTokens,
  tinyOracle,
  tokenizerFilesAvailable,
} from './tiny-sdxl';
import type { PromptTokens, Rgb, TinyModel, TinyVariant } from './tiny-sdxl';

const VARIANTS: TinyVariant[] = ['fp32', 'fp16', 'legacy', 'external-data'];
const COMPONENTS = ['text_encoder', 'text_encoder_2', 'unet', 'vae_encoder', 'vae_decoder'] as const;
const TOKENIZER_DIR = resolve(import.meta.dirname, '../../../shared/clip-tokenizer');
const haveTokenizer = tokenizerFilesAvailable();
if (!haveTokenizer) console.warn(TOKENIZER_SKIP_MESSAGE);

/** Hand-made ids (no tokenizer needed): BOS, three word ids, EOS, then the tokenizer's pad. */
function syntheticTokens(words: number[]): PromptTokens {
  const pad = (padId: number): number[] => [49406, ...words, 49407, ...new Array<number>(75 - words.length).fill(padId)];
  return { ids1: pad(49407), ids2: pad(0) };
}
const PROMPT = syntheticTokens([1929, 3055, 320]);
const OTHER_PROMPT = syntheticTokens([1929, 3055, 321]);

/** Seeded standard normals (mulberry32 + Box–Muller). */
function normals(n: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

/** Runs one component with float inputs given as float32, converting to/from the model's float type. */
class Runner {
  private readonly sessions = new Map<string, ort.InferenceSession>();
  constructor(private readonly model: TinyModel) {}

  async session(component: string): Promise<ort.InferenceSession> {
    let s = this.sessions.get(component);
    if (!s) {
      s = await ort.InferenceSession.create(join(this.model.dir, component, 'model.onnx'));
      this.sessions.set(component, s);
    }
    return s;
  }

  float(data: ArrayLike<number>, dims: number[]): ort.Tensor {
    return this.model.floatType === 'float16' ? new ort.Tensor('float16', toFloat16Bits(data), dims) : new ort.Tensor('float32', Float32Array.from(data), dims);
  }

  async run(component: string, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
    const out = await (await this.session(component)).run(feeds);
    const result: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(out)) result[name] = t.type === 'float16' ? fromFloat16Bits(t.data as Uint16Array) : Float32Array.from(t.data as Float32Array);
    return result;
  }

  timestep(t: number, batch: number): ort.Tensor {
    return this.model.timestep === 'scalar' ? this.float([t], []) : new ort.Tensor('int64', BigInt64Array.from({ length: batch }, () => BigInt(Math.trunc(t))), [batch]);
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await s.release();
  }
}

function ids(rows: ArrayLike<number>[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flatMap((r) => Array.from(r, BigInt))), [rows.length, rows[0].length]);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** UNet conditioning rows [uncond (zeros), cond] as flat arrays, plus the time_ids for a working size. */
function conditioningRows(tokens: PromptTokens, height: number, width: number, timeIds?: number[]) {
  const zeros = tinyOracle.promptConditioning('zeros');
  const cond = tinyOracle.promptConditioning(tokens);
  const ids6 = timeIds ?? tinyOracle.expectedTimeIds(height, width);
  return {
    ehs: Float32Array.from([...zeros.encoderHiddenStates, ...cond.encoderHiddenStates]),
    textEmbeds: Float32Array.from([...zeros.textEmbeds, ...cond.textEmbeds]),
    timeIds: Float32Array.from([...ids6, ...ids6]),
    rows: [zeros, cond],
    ids6,
  };
}

/** The scaled (×0.13025) latent of a constant colour, as the pipeline feeds it to the UNet. */
function scaledLatent(rgb: Rgb): number[] {
  return tinyOracle.encodeColour(rgb).map((v) => v * VAE_SCALING_FACTOR);
}

/** Tolerances per float type: fp16 I/O rounds to ~3 significant digits. */
function tolerance(model: TinyModel, fp32: number, fp16: number): number {
  return model.floatType === 'float16' ? fp16 : fp32;
}

describe.each(VARIANTS)('tiny SDXL export, variant %s', (variant) => {
  let root: string;
  let model: TinyModel;
  let runner: Runner;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), `tiny-sdxl-${variant}-`));
    model = await generateTinySdxl(join(root, 'export'), variant);
    runner = new Runner(model);
  });
  afterAll(async () => {
    await runner?.release();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('writes the optimum folder layout and configs', async () => {
    const json = async (path: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(join(model.dir, path), 'utf8')) as Record<string, unknown>;
    const index = await json('model_index.json');
    expect(index).toMatchObject({
      _class_name: 'StableDiffusionXLInpaintPipeline',
      force_zeros_for_empty_prompt: true,
      requires_aesthetics_score: false,
      scheduler: ['diffusers', 'EulerDiscreteScheduler'],
      text_encoder: ['transformers', 'CLIPTextModel'],
      text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'],
      tokenizer: ['transformers', 'CLIPTokenizer'],
      tokenizer_2: ['transformers', 'CLIPTokenizer'],
      unet: ['diffusers', 'UNet2DConditionModel'],
      vae: ['diffusers', 'AutoencoderKL'],
    });
    expect(await json('scheduler/scheduler_config.json')).toMatchObject({
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      num_train_timesteps: 1000,
      prediction_type: 'epsilon',
      timestep_spacing: 'leading',
      steps_offset: 1,
      use_karras_sigmas: false,
    });
    expect(await json('unet/config.json')).toMatchObject({ in_channels: 9, out_channels: 4, sample_size: 128, cross_attention_dim: 2048, addition_time_embed_dim: 256, projection_class_embeddings_input_dim: 2816 });
    for (const vae of ['vae_encoder', 'vae_decoder']) {
      expect(await json(`${vae}/config.json`)).toMatchObject({ scaling_factor: 0.13025, force_upcast: false, block_out_channels: [128, 256, 512, 512], latent_channels: 4 });
    }
    expect(await json('text_encoder/config.json')).toMatchObject({ architectures: ['CLIPTextModel'], hidden_size: 768, num_hidden_layers: 12 });
    expect(await json('text_encoder_2/config.json')).toMatchObject({ architectures: ['CLIPTextModelWithProjection'], hidden_size: 1280, num_hidden_layers: 32, projection_dim: 1280 });
    expect(await json('tokenizer/special_tokens_map.json')).toMatchObject({ pad_token: '<|endoftext|>' });
    expect(await json('tokenizer_2/special_tokens_map.json')).toMatchObject({ pad_token: { content: '!' } });
    expect(await json('tokenizer/tokenizer_config.json')).toMatchObject({ model_max_length: 77, pad_token: '<|endoftext|>' });
    expect(await json('tokenizer_2/tokenizer_config.json')).toMatchObject({ model_max_length: 77, pad_token: { content: '!' } });
    for (const c of COMPONENTS) expect(existsSync(join(model.dir, c, 'model.onnx'))).toBe(true);
    const external = variant === 'external-data' ? ['text_encoder_2', 'unet'] : [];
    for (const c of COMPONENTS) expect(existsSync(join(model.dir, c, 'model.onnx_data'))).toBe(external.includes(c));
    expect(model.externalDataComponents).toEqual(external);
  });

  it.skipIf(!haveTokenizer)('copies the real vocab.json and merges.txt into both tokenizer folders', () => {
    expect(model.hasTokenizerFiles).toBe(true);
    for (const folder of ['tokenizer', 'tokenizer_2']) {
      for (const f of ['vocab.json', 'merges.txt']) {
        expect(readFileSync(join(model.dir, folder, f)).equals(readFileSync(join(TOKENIZER_DIR, f)))).toBe(true);
      }
    }
  });

  it('declares optimum I/O names, dtypes and symbolic dims', async () => {
    const ft = model.floatType;
    const meta = async (c: string) => {
      const s = await runner.session(c);
      const pick = (m: readonly ort.InferenceSession.ValueMetadata[]) => m.map((v) => (v.isTensor ? { name: v.name, type: v.type, shape: [...v.shape] } : { name: v.name }));
      return { inputs: pick(s.inputMetadata), outputs: pick(s.outputMetadata) };
    };
    const seq = (d: number) => ['batch_size', 'sequence_length', d];
    const hidden = (n: number, d: number) => Array.from({ length: n + 1 }, (_, k) => ({ name: `hidden_states.${k}`, type: ft, shape: seq(d) }));
    const inputIds = [{ name: 'input_ids', type: 'int64', shape: ['batch_size', 'sequence_length'] }];

    expect(await meta('text_encoder')).toEqual({
      inputs: inputIds,
      outputs: [{ name: 'last_hidden_state', type: ft, shape: seq(768) }, { name: 'pooler_output', type: ft, shape: ['batch_size', 768] }, ...hidden(12, 768)],
    });
    expect(await meta('text_encoder_2')).toEqual({
      inputs: inputIds,
      // ORT reports the inferred 1280 although the graph declares optimum's "sequence_length" label there.
      outputs: [{ name: 'text_embeds', type: ft, shape: ['batch_size', 1280] }, { name: 'last_hidden_state', type: ft, shape: seq(1280) }, ...hidden(32, 1280)],
    });
    const timestep = variant === 'legacy' ? { name: 'timestep', type: 'int64', shape: ['steps'] } : { name: 'timestep', type: ft, shape: [] };
    expect(await meta('unet')).toEqual({
      inputs: [
        { name: 'sample', type: ft, shape: ['batch_size', 9, 'height', 'width'] },
        timestep,
        { name: 'encoder_hidden_states', type: ft, shape: ['batch_size', 'sequence_length', 2048] },
        { name: 'text_embeds', type: ft, shape: ['batch_size', 1280] },
        { name: 'time_ids', type: ft, shape: ['batch_size', 6] },
      ],
      outputs: [{ name: 'out_sample', type: ft, shape: ['batch_size', 4, 'height', 'width'] }],
    });
    const latentOut =
      variant === 'legacy'
        ? { name: 'latent_sample', type: ft, shape: ['batch_size', 4, 'height_latent', 'width_latent'] }
        : { name: 'latent_parameters', type: ft, shape: ['batch_size', 8, 'height_latent', 'width_latent'] };
    expect(await meta('vae_encoder')).toEqual({ inputs: [{ name: 'sample', type: ft, shape: ['batch_size', 3, 'height', 'width'] }], outputs: [latentOut] });
    expect(await meta('vae_decoder')).toEqual({
      inputs: [{ name: 'latent_sample', type: ft, shape: ['batch_size', 4, 'height_latent', 'width_latent'] }],
      outputs: [{ name: 'sample', type: ft, shape: ['batch_size', 3, 'height', 'width'] }],
    });
  });

  it('text encoders: every layer differs, depends on the ids and the padding, and matches the oracle', async () => {
    const tol = tolerance(model, 1e-4, 2e-2);
    const wrongPad2 = PROMPT.ids1; // tokenizer 1's padding (49407) fed to encoder 2
    const o1 = await runner.run('text_encoder', { input_ids: ids([PROMPT.ids1, OTHER_PROMPT.ids1]) });
    const o2 = await runner.run('text_encoder_2', { input_ids: ids([PROMPT.ids2, wrongPad2]) });
    const row = (a: Float32Array, r: number, rows = 2) => a.subarray((r * a.length) / rows, ((r + 1) * a.length) / rows);

    expect(maxAbsDiff(row(o1['hidden_states.11'], 0), tinyOracle.hiddenState(1, PROMPT.ids1, 11))).toBeLessThan(tol);
    expect(maxAbsDiff(row(o1['hidden_states.11'], 1), tinyOracle.hiddenState(1, OTHER_PROMPT.ids1, 11))).toBeLessThan(tol);
    expect(maxAbsDiff(row(o1.last_hidden_state, 0), tinyOracle.lastHiddenState(1, PROMPT.ids1))).toBeLessThan(tol);
    expect(maxAbsDiff(row(o1.pooler_output, 0), tinyOracle.pooled(1, PROMPT.ids1))).toBeLessThan(tol);
    expect(maxAbsDiff(row(o2['hidden_states.31'], 0), tinyOracle.hiddenState(2, PROMPT.ids2, 31))).toBeLessThan(tol);
    expect(maxAbsDiff(row(o2.text_embeds, 0), tinyOracle.pooled(2, PROMPT.ids2))).toBeLessThan(tol);
    expect(maxAbsDiff(row(o2.last_hidden_state, 0), tinyOracle.lastHiddenState(2, PROMPT.ids2))).toBeLessThan(tol);

    // Picking a neighbouring layer or last_hidden_state gives clearly different values.
    for (const [out, n] of [[o1, 12], [o2, 32]] as const) {
      const used = row(out[`hidden_states.${n - 1}`], 0);
      for (const other of [`hidden_states.${n}`, `hidden_states.${n - 2}`, 'last_hidden_state']) expect(maxAbsDiff(used, row(out[other], 0))).toBeGreaterThan(0.1);
    }
    // A different word, or the wrong pad id, changes the hidden states and the pooled vector.
    expect(maxAbsDiff(row(o1['hidden_states.11'], 0), row(o1['hidden_states.11'], 1))).toBeGreaterThan(0.1);
    expect(maxAbsDiff(row(o2['hidden_states.31'], 0), row(o2['hidden_states.31'], 1))).toBeGreaterThan(0.1);
    expect(maxAbsDiff(row(o2.text_embeds, 0), row(o2.text_embeds, 1))).toBeGreaterThan(0.01);
  });

  it('UNet returns the exact ε for the known clean latent at integer and fractional t', async () => {
    const [h, w] = [4, 6];
    const [height, width] = [h * 8, w * 8];
    const hw = h * w;
    const cond = conditioningRows(PROMPT, height, width);
    const targets = cond.rows.map((r) => scaledLatent(tinyOracle.targetRgb({ ...r, timeIds: cond.ids6 }, h, w)));
    const mask = Float32Array.from({ length: hw }, (_, i) => (i % w < 3 ? 1 : 0));
    const maskedImage = normals(2 * 4 * hw, 1).map((v) => 0.3 * v);
    const eps = normals(2 * 4 * hw, 2);
    const timesteps = variant === 'legacy' ? [1, 500, 999] : [1, 500, 999, 640.37, 12.5];
    for (const t of timesteps) {
      const sample = new Float32Array(2 * 9 * hw);
      const expected = new Float32Array(2 * 4 * hw);
      for (let b = 0; b < 2; b++) {
        for (let c = 0; c < 4; c++) {
          for (let i = 0; i < hw; i++) {
            const k = (b * 4 + c) * hw + i;
            const x0 = mask[i] ? targets[b][c] : maskedImage[k];
            sample[(b * 9 + c) * hw + i] = tinyOracle.noisedInput(x0, eps[k], t);
            sample[(b * 9 + 5 + c) * hw + i] = maskedImage[k];
            expected[k] = eps[k];
          }
        }
        sample.set(mask, (b * 9 + 4) * hw);
      }
      const out = await runner.run('unet', {
        sample: runner.float(sample, [2, 9, h, w]),
        timestep: runner.timestep(t, 2),
        encoder_hidden_states: runner.float(cond.ehs, [2, 77, 2048]),
        text_embeds: runner.float(cond.textEmbeds, [2, 1280]),
        time_ids: runner.float(cond.timeIds, [2, 6]),
      });
      // ε = (x·c − x0)/σ amplifies input rounding by 1/σ, so small t gets a looser bound (fp16 ≈ 0.01 at t = 1).
      const tol = t < 100 ? tolerance(model, 2e-3, 0.1) : tolerance(model, 1e-3, 0.05);
      expect(maxAbsDiff(out.out_sample, expected), `t=${t}`).toBeLessThan(tol);
    }
  });

  it('UNet colour shifts when time_ids are not [H, W, 0, 0, H, W] (e.g. (w, h) swapped)', async () => {
    const [h, w] = [4, 6];
    const [height, width] = [h * 8, w * 8];
    const swapped = [width, height, 0, 0, width, height];
    const cond = conditioningRows(PROMPT, height, width, swapped);
    const hw = h * w;
    const sample = new Float32Array(2 * 9 * hw);
    for (let b = 0; b < 2; b++) sample.fill(1, (b * 9 + 4) * hw, (b * 9 + 5) * hw); // mask = 1, x_in = 0
    const t = 500;
    const out = await runner.run('unet', {
      sample: runner.float(sample, [2, 9, h, w]),
      timestep: runner.timestep(t, 2),
      encoder_hidden_states: runner.float(cond.ehs, [2, 77, 2048]),
      text_embeds: runner.float(cond.textEmbeds, [2, 1280]),
      time_ids: runner.float(cond.timeIds, [2, 6]),
    });
    // With x_in = 0, ε = −x0/σ: recover the implied clean latent of the conditional row and decode its colour.
    const sigma = tinyOracle.sigma(t);
    const x0 = [0, 1, 2, 3].map((c) => (-out.out_sample[(4 + c) * hw] * sigma) / VAE_SCALING_FACTOR);
    const rgb = tinyOracle.decodeLatent(x0);
    const right = tinyOracle.targetRgb({ ...cond.rows[1], timeIds: tinyOracle.expectedTimeIds(height, width) }, h, w);
    const wrong = tinyOracle.targetRgb({ ...cond.rows[1], timeIds: swapped }, h, w);
    for (let c = 0; c < 3; c++) {
      expect(wrong[c] - right[c]).toBeCloseTo(TIME_IDS_SHIFT[c], 6);
      expect(rgb[c]).toBeCloseTo(wrong[c], model.floatType === 'float16' ? 1 : 3);
    }
  });

  it('VAE round-trips a block-constant image; the encoder reports logvar −12', async () => {
    const [h, w] = [3, 5];
    const colours = normals(3 * h * w, 3).map((v) => Math.tanh(v * 0.7));
    const image = new Float32Array(3 * h * 8 * w * 8);
    for (let c = 0; c < 3; c++) for (let y = 0; y < h * 8; y++) for (let x = 0; x < w * 8; x++) image[(c * h * 8 + y) * w * 8 + x] = colours[(c * h + (y >> 3)) * w + (x >> 3)];
    const enc = await runner.run('vae_encoder', { sample: runner.float(image, [1, 3, h * 8, w * 8]) });
    const tol = tolerance(model, 1e-5, 1e-2);
    const mean = variant === 'legacy' ? enc.latent_sample : enc.latent_parameters.subarray(0, 4 * h * w);
    for (let i = 0; i < h * w; i++) {
      const expected = tinyOracle.encodeColour([colours[i], colours[h * w + i], colours[2 * h * w + i]]);
      for (let c = 0; c < 4; c++) expect(Math.abs(mean[c * h * w + i] - expected[c])).toBeLessThan(tol * 4);
    }
    if (variant !== 'legacy') for (const v of enc.latent_parameters.subarray(4 * h * w)) expect(v).toBe(VAE_LOGVAR);
    const dec = await runner.run('vae_decoder', { latent_sample: runner.float(mean, [1, 4, h, w]) });
    expect(maxAbsDiff(dec.sample, image)).toBeLessThan(tol);
  });

  it('a minimal Euler + CFG loop over the ORT graphs lands on tinyOracle.fillColour', async () => {
    const [h, w] = [6, 8];
    const [height, width] = [h * 8, w * 8];
    const hw = h * w;
    const guidance = 7.5;
    // Block-constant image; the latent mask covers the left half.
    const colours = normals(3 * hw, 4).map((v) => Math.tanh(v * 0.5));
    const maskLatent = Float32Array.from({ length: hw }, (_, i) => (i % w < w / 2 ? 1 : 0));
    const masked = new Float32Array(3 * height * width);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const block = (y >> 3) * w + (x >> 3);
          masked[(c * height + y) * width + x] = maskLatent[block] ? 0 : colours[c * hw + block];
        }
      }
    }
    const enc = await runner.run('vae_encoder', { sample: runner.float(masked, [1, 3, height, width]) });
    const noise = normals(4 * hw, 5);
    const maskedLatent =
      variant === 'legacy'
        ? enc.latent_sample.map((v) => v * VAE_SCALING_FACTOR)
        : enc.latent_parameters.subarray(0, 4 * hw).map((m, i) => (m + Math.exp(0.5 * enc.latent_parameters[4 * hw + i]) * noise[i]) * VAE_SCALING_FACTOR);

    const timesteps = Array.from({ length: 10 }, (_, i) => 901 - 100 * i); // leading spacing, N = 10
    const sigmas = [...timesteps.map((t) => tinyOracle.sigma(t)), 0];
    const latents = normals(4 * hw, 6).map((v) => v * Math.sqrt(sigmas[0] ** 2 + 1));
    const cond = conditioningRows(PROMPT, height, width);
    for (let i = 0; i < timesteps.length; i++) {
      const sample = new Float32Array(2 * 9 * hw);
      const cIn = 1 / Math.sqrt(sigmas[i] ** 2 + 1);
      for (let b = 0; b < 2; b++) {
        sample.set(latents.map((v) => v * cIn), b * 9 * hw);
        sample.set(maskLatent, (b * 9 + 4) * hw);
        sample.set(maskedLatent, (b * 9 + 5) * hw);
      }
      const { out_sample: eps } = await runner.run('unet', {
        sample: runner.float(sample, [2, 9, h, w]),
        timestep: runner.timestep(timesteps[i], 2),
        encoder_hidden_states: runner.float(cond.ehs, [2, 77, 2048]),
        text_embeds: runner.float(cond.textEmbeds, [2, 1280]),
        time_ids: runner.float(cond.timeIds, [2, 6]),
      });
      for (let k = 0; k < 4 * hw; k++) {
        const guided = eps[k] + guidance * (eps[4 * hw + k] - eps[k]);
        latents[k] += guided * (sigmas[i + 1] - sigmas[i]);
      }
    }
    const { sample: image } = await runner.run('vae_decoder', { latent_sample: runner.float(latents.map((v) => v / VAE_SCALING_FACTOR), [1, 4, h, w]) });
    const expected = tinyOracle.fillColour({ prompt: PROMPT, guidance, height, width });
    // Kept blocks carry the VAE's sampling noise (std ≈ 0.0025 latent units ≈ 0.001 in colour).
    const tolFill = tolerance(model, 1e-4, 0.02);
    const tolKept = tolerance(model, 0.01, 0.02);
    for (let block = 0; block < hw; block++) {
      const px = ((block / w) | 0) * 8 * width + (block % w) * 8 + 3 * width + 3;
      for (let c = 0; c < 3; c++) {
        const want = maskLatent[block] ? expected.rgb[c] : colours[c * hw + block];
        const tol = maskLatent[block] ? tolFill : tolKept;
        expect(Math.abs(image[c * height * width + px] - want), `block ${block} channel ${c}`).toBeLessThan(tol);
      }
    }
  });
});

describe('tiny SDXL options', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tiny-sdxl-options-'));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('nanDecoder makes the VAE decoder emit NaN', async () => {
    const model = await generateTinySdxl(join(root, 'nan'), 'fp16', { nanDecoder: true });
    const runner = new Runner(model);
    const { sample } = await runner.run('vae_decoder', { latent_sample: runner.float(new Float32Array(4 * 2 * 2), [1, 4, 2, 2]) });
    await runner.release();
    expect(sample.length).toBe(3 * 16 * 16);
    expect(sample.every(Number.isNaN)).toBe(true);
  });

  it('fourChannelUnet writes a plain 4-channel UNet (config and graph)', async () => {
    const model = await generateTinySdxl(join(root, 'four'), 'fp32', { fourChannelUnet: true });
    expect(model.unetInChannels).toBe(4);
    expect(JSON.parse(readFileSync(join(model.dir, 'unet', 'config.json'), 'utf8'))).toMatchObject({ in_channels: 4 });
    const runner = new Runner(model);
    const unet = await runner.session('unet');
    const sample = unet.inputMetadata.find((m) => m.name === 'sample');
    expect(sample?.isTensor && sample.shape).toEqual(['batch_size', 4, 'height', 'width']);
    const cond = conditioningRows(PROMPT, 16, 16);
    const { out_sample } = await runner.run('unet', {
      sample: runner.float(new Float32Array(2 * 4 * 4), [2, 4, 2, 2]),
      timestep: runner.timestep(500, 2),
      encoder_hidden_states: runner.float(cond.ehs, [2, 77, 2048]),
      text_embeds: runner.float(cond.textEmbeds, [2, 1280]),
      time_ids: runner.float(cond.timeIds, [2, 6]),
    });
    await runner.release();
    // x_in = 0 → ε = −x0/σ with x0 = the unconditional target (mid-grey latent) in row 0.
    const grey = scaledLatent([0, 0, 0]);
    for (let c = 0; c < 4; c++) expect(out_sample[c * 4]).toBeCloseTo(-grey[c] / tinyOracle.sigma(500), 4);
  });

  it('rejects an explicit tokenizer source without vocab.json / merges.txt', async () => {
    await expect(generateTinySdxl(join(root, 'bad'), 'fp32', { tokenizerSource: join(root, 'nowhere') })).rejects.toThrow(/nowhere/);
  });

  it('keeps external-data model.onnx files small (weights live in model.onnx_data)', async () => {
    const inline = await generateTinySdxl(join(root, 'inline'), 'fp32');
    const external = await generateTinySdxl(join(root, 'external'), 'external-data');
    for (const c of ['unet', 'text_encoder_2']) {
      const outside = statSync(join(external.dir, c, 'model.onnx_data')).size;
      expect(statSync(join(external.dir, c, 'model.onnx')).size + outside).toBeGreaterThan(statSync(join(inline.dir, c, 'model.onnx')).size);
      expect(statSync(join(external.dir, c, 'model.onnx')).size).toBeLessThan(outside / 2);
    }
  });
});

describe('tinyOracle', () => {
  const size = { height: 1024, width: 1024 };

  it('all-zero conditioning gives mid-grey and CFG combines linearly', () => {
    const zeros = tinyOracle.promptConditioning('zeros');
    expect(tinyOracle.targetRgb({ ...zeros, timeIds: tinyOracle.expectedTimeIds(1024, 1024) }, 128, 128)).toEqual([0, 0, 0]);
    const one = tinyOracle.fillColour({ prompt: PROMPT, guidance: 1, ...size }).rgb;
    const cfg = tinyOracle.fillColour({ prompt: PROMPT, guidance: 5, ...size }).rgb;
    for (let c = 0; c < 3; c++) expect(cfg[c]).toBeCloseTo(5 * one[c], 9);
  });

  it('a wrong pad id, layer, prompt, negative prompt, concat order or time_ids order changes the fill colour visibly', () => {
    const colour = (req: Partial<Parameters<typeof tinyOracle.fillColour>[0]>) => tinyOracle.fillColour({ prompt: PROMPT, guidance: 7.5, ...size, ...req }).rgb8;
    const reference = colour({});
    const distance = (a: Rgb) => Math.max(...a.map((v, c) => Math.abs(v - reference[c])));
    expect(distance(colour({ prompt: { ids1: PROMPT.ids1, ids2: PROMPT.ids1 } }))).toBeGreaterThan(10);
    expect(distance(colour({ prompt: { ids1: PROMPT.ids2, ids2: PROMPT.ids2 } }))).toBeGreaterThan(10);
    expect(distance(colour({ clipSkip: 1 }))).toBeGreaterThan(10);
    expect(distance(colour({ prompt: OTHER_PROMPT }))).toBeGreaterThan(10);
    expect(distance(colour({ negative: syntheticTokens([]) }))).toBeGreaterThan(10);
    // te2 columns first instead of te1 first.
    const cond = tinyOracle.promptConditioning(PROMPT);
    const swappedConcat = new Float64Array(cond.encoderHiddenStates.length);
    for (let pos = 0; pos < 77; pos++) {
      const row = cond.encoderHiddenStates.subarray(pos * 2048, (pos + 1) * 2048);
      swappedConcat.set(row.subarray(768), pos * 2048);
      swappedConcat.set(row.subarray(0, 768), pos * 2048 + 1280);
    }
    const timeIds = tinyOracle.expectedTimeIds(1024, 1024);
    const right = tinyOracle.targetRgb({ ...cond, timeIds }, 128, 128);
    const wrongOrder = tinyOracle.targetRgb({ ...cond, encoderHiddenStates: swappedConcat, timeIds }, 128, 128);
    expect(Math.max(...right.map((v, c) => Math.abs(v - wrongOrder[c])))).toBeGreaterThan(0.02);
    const nonSquare = { height: 768, width: 1024 };
    const rightSize = colour(nonSquare);
    const swapped = colour({ ...nonSquare, timeIds: { positive: [1024, 768, 0, 0, 1024, 768] } });
    expect(Math.max(...swapped.map((v, c) => Math.abs(v - rightSize[c])))).toBeGreaterThan(20);
  });

  it('σ(t) interpolates log σ of the SDXL schedule (spec §7.6 values)', () => {
    expect(tinyOracle.sigma(951)).toBeCloseTo(11.028336, 4);
    expect(tinyOracle.sigma(1)).toBeCloseTo(0.041314, 5);
    expect(tinyOracle.sigma(999)).toBeCloseTo(14.614647, 4);
    const mid = tinyOracle.sigma(551.25);
    expect(Math.log(mid)).toBeCloseTo(0.75 * Math.log(tinyOracle.sigma(551)) + 0.25 * Math.log(tinyOracle.sigma(552)), 9);
    expect(tinyOracle.epsilon(tinyOracle.noisedInput(0.3, -1.2, 640.5), 0.3, 640.5)).toBeCloseTo(-1.2, 9);
  });

  it.skipIf(!haveTokenizer)('simplePromptTokens pads like the pipeline (49407 for tokenizer 1, 0 for tokenizer 2)', () => {
    const vocab = JSON.parse(readFileSync(join(TOKENIZER_DIR, 'vocab.json'), 'utf8')) as Record<string, number>;
    const tokens = simplePromptTokens('Red apple');
    expect(Array.from(tokens.ids1).slice(0, 5)).toEqual([49406, vocab['red</w>'], vocab['apple</w>'], 49407, 49407]);
    expect(Array.from(tokens.ids2).slice(0, 5)).toEqual([49406, vocab['red</w>'], vocab['apple</w>'], 49407, 0]);
    expect(tokens.ids1.length).toBe(77);
    expect(Array.from(simplePromptTokens('').ids2).slice(0, 3)).toEqual([49406, 49407, 0]);
    expect(() => simplePromptTokens('apple, pie')).toThrow(/apple,/);
    const colour = (p: string) => tinyOracle.fillColour({ prompt: simplePromptTokens(p), guidance: 7.5, ...size }).rgb8;
    expect(colour('a red apple')).not.toEqual(colour('a green apple'));
  });
});
