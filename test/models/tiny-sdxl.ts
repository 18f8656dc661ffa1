// Tiny, meaningful stand-ins for an optimum ONNX export of SDXL inpainting (spec §8): same folder layout, file names,
// I/O names, dtypes and symbolic dims, but each graph is a few cheap ops whose result the oracle predicts exactly.
//
//   const model = await generateTinySdxl(tmpDir, 'fp32');
//   … run the pipeline on model.dir with prompt P, guidance g, working size H×W …
//   const tokens = { ids1, ids2 };  // the 77 ids each tokenizer gives P (or simplePromptTokens(P) for plain words)
//   tinyOracle.fillColour({ prompt: tokens, guidance: g, height: H, width: W }).rgb8  // colour of the masked area
//
// The graphs (details in tiny/*-graph(s).ts, mirrored in tiny/oracle.ts):
// - text encoders: per-position residual tanh layers over a token/position table; every hidden_states.k differs, the
//   pad id matters, pooled vectors are a mean over all 77 positions;
// - UNet: colour = 0.12·sin(linear(mean encoder_hidden_states, text_embeds)) (+ a shift if time_ids ≠ [H,W,0,0,H,W]);
//   x0* = mask ? latent(colour) : masked-image latent; returns the exact ε for x0* at σ(t);
// - VAE: 8×8 block average → fixed affine 3→4 map (logvar −12); decoder = its pseudo-inverse, repeated per block.
// So a correct pipeline paints the masked blocks in the oracle's colour and returns the unmasked blocks unchanged;
// a wrong pad id, layer, concat order, CFG order, time_ids order or mask polarity gives a visibly different colour.
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ElemType, EncodedModel, ExternalDataOptions } from '../../service/graphs/onnx-graph';
import {
  modelIndexConfig,
  schedulerConfig,
  specialTokensMap,
  textEncoder2Config,
  textEncoderConfig,
  tokenizerConfig,
  unetConfig,
  vaeConfig,
} from './tiny/configs';
import { MAX_POSITIONS, tinyParameters } from './tiny/parameters';
import { buildTextEncoder } from './tiny/text-encoder-graph';
import { buildUnet } from './tiny/unet-graph';
import { buildVaeDecoder, buildVaeEncoder } from './tiny/vae-graphs';
import type { PromptTokens } from './tiny/oracle';

export { tinyOracle } from './tiny/oracle';
export type { EncoderIndex, FillColour, FillColourRequest, PromptTokens, Rgb, UnetConditioning } from './tiny/oracle';
export { VAE_SCALING_FACTOR, VAE_LOGVAR, TIME_IDS_SHIFT, COLOUR_AMPLITUDE } from './tiny/parameters';

/**
 * - `fp32`: current optimum layout (float32 I/O, rank-0 float timestep, `latent_parameters`).
 * - `fp16`: the same with float16 for every float input/output (timestep and time_ids included; spec §8.6).
 * - `legacy`: optimum < 1.24 / < 1.23: int64 timestep of shape [steps], VAE encoder output `latent_sample` [B,4,h,w].
 * - `external-data`: fp32 with unet's and text_encoder_2's initializers in `model.onnx_data` beside `model.onnx`.
 */
export type TinyVariant = 'fp32' | 'fp16' | 'legacy' | 'external-data';

export interface TinyModelOptions {
  /** Where the real CLIP vocab.json/merges.txt are (default: ../shared/clip-tokenizer relative to the repo root). */
  tokenizerSource?: string;
  /** Make the VAE decoder emit NaN (to test the fp16-VAE error path). */
  nanDecoder?: boolean;
  /** A plain 4-channel (non-inpainting) UNet, to test that the loader refuses it. */
  fourChannelUnet?: boolean;
}

export interface TinyModel {
  /** The export folder (absolute). */
  dir: string;
  variant: TinyVariant;
  /** ORT type of every float input/output. */
  floatType: 'float32' | 'float16';
  /** UNet timestep input: 'scalar' = float rank 0; 'steps' = int64 [steps] (legacy). */
  timestep: 'scalar' | 'steps';
  /** Name of the VAE encoder's output. */
  vaeEncoderOutput: 'latent_parameters' | 'latent_sample';
  unetInChannels: 9 | 4;
  nanDecoder: boolean;
  /** Component folders whose weights live in `model.onnx_data`. */
  externalDataComponents: string[];
  /** False when the tokenizer source was absent: tokenizer/ and tokenizer_2/ then lack vocab.json and merges.txt. */
  hasTokenizerFiles: boolean;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_TOKENIZER_SOURCE = resolve(REPO_ROOT, '../shared/clip-tokenizer');
const TOKENIZER_FILES = ['vocab.json', 'merges.txt'] as const;
const EXTERNAL_DATA: ExternalDataOptions = { location: 'model.onnx_data', minBytes: 100 };

/** True when the real CLIP tokenizer files exist at `dir` (default ../shared/clip-tokenizer). */
export function tokenizerFilesAvailable(dir: string = DEFAULT_TOKENIZER_SOURCE): boolean {
  return TOKENIZER_FILES.every((f) => existsSync(join(dir, f)));
}

/** The message tests print when they skip for lack of tokenizer files. */
export const TOKENIZER_SKIP_MESSAGE = `CLIP tokenizer files not found at ${DEFAULT_TOKENIZER_SOURCE} (../shared/clip-tokenizer): skipping tokenizer-dependent checks`;

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function writeComponent(dir: string, config: unknown, encoded: EncodedModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx'), encoded.model);
  if (encoded.externalData) await writeFile(join(dir, EXTERNAL_DATA.location), encoded.externalData);
  await writeJson(join(dir, 'config.json'), config);
}

async function writeTokenizer(dir: string, pad: string, source: string | undefined): Promise<void> {
  await writeJson(join(dir, 'special_tokens_map.json'), specialTokensMap(pad));
  await writeJson(join(dir, 'tokenizer_config.json'), tokenizerConfig(pad));
  if (source) for (const f of TOKENIZER_FILES) await copyFile(join(source, f), join(dir, f));
}

/** Writes a complete optimum-style export folder into `dir` (created if missing); returns a description. */
export async function generateTinySdxl(dir: string, variant: TinyVariant, options: TinyModelOptions = {}): Promise<TinyModel> {
  if (!['fp32', 'fp16', 'legacy', 'external-data'].includes(variant)) throw new Error(`unknown tiny SDXL variant "${variant}"`);
  const source = options.tokenizerSource ?? DEFAULT_TOKENIZER_SOURCE;
  const hasTokenizerFiles = tokenizerFilesAvailable(source);
  if (options.tokenizerSource !== undefined && !hasTokenizerFiles) {
    throw new Error(`tokenizerSource "${options.tokenizerSource}" has no ${TOKENIZER_FILES.join(' / ')}`);
  }
  const floatType: ElemType = variant === 'fp16' ? 'float16' : 'float32';
  const torchDtype = variant === 'fp16' ? 'float16' : 'float32';
  const legacy = variant === 'legacy';
  const external = variant === 'external-data' ? EXTERNAL_DATA : undefined;
  const unetInChannels = options.fourChannelUnet ? 4 : 9;
  const nanDecoder = options.nanDecoder ?? false;
  const p = tinyParameters();
  const root = resolve(dir);

  await writeJson(join(root, 'model_index.json'), modelIndexConfig());
  await writeJson(join(root, 'scheduler', 'scheduler_config.json'), schedulerConfig());
  await writeTokenizer(join(root, 'tokenizer'), '<|endoftext|>', hasTokenizerFiles ? source : undefined);
  await writeTokenizer(join(root, 'tokenizer_2'), '!', hasTokenizerFiles ? source : undefined);
  await writeComponent(join(root, 'text_encoder'), textEncoderConfig(torchDtype), buildTextEncoder(p.textEncoder1, { kind: 'clip', floatType }));
  await writeComponent(
    join(root, 'text_encoder_2'),
    textEncoder2Config(torchDtype),
    buildTextEncoder(p.textEncoder2, { kind: 'projection', floatType, externalData: external }),
  );
  await writeComponent(
    join(root, 'unet'),
    unetConfig(unetInChannels),
    buildUnet(p, { floatType, timestep: legacy ? 'steps' : 'scalar', inChannels: unetInChannels, externalData: external }),
  );
  await writeComponent(join(root, 'vae_encoder'), vaeConfig(), buildVaeEncoder({ floatType, output: legacy ? 'sample' : 'parameters' }));
  await writeComponent(join(root, 'vae_decoder'), vaeConfig(), buildVaeDecoder(p, { floatType, nan: nanDecoder }));

  return {
    dir: root,
    variant,
    floatType,
    timestep: legacy ? 'steps' : 'scalar',
    vaeEncoderOutput: legacy ? 'latent_sample' : 'latent_parameters',
    unetInChannels,
    nanDecoder,
    externalDataComponents: external ? ['text_encoder_2', 'unet'] : [],
    hasTokenizerFiles,
  };
}

const vocabCache = new Map<string, Record<string, number>>();

function vocabulary(dir: string): Record<string, number> {
  let vocab = vocabCache.get(dir);
  if (!vocab) {
    vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    vocabCache.set(dir, vocab);
  }
  return vocab;
}

/**
 * Token ids of a prompt made only of whole vocabulary words (lower-case letters/digits separated by spaces, each word
 * a single CLIP token such as "red</w>"), padded like the pipeline: [49406, …words, 49407, pad…] with pad 49407
 * (tokenizer 1) or 0 (tokenizer 2), length 77. Independent of the project's BPE, so tests can cross-check it; any
 * other prompt throws (use the real tokenizer for those).
 */
export function simplePromptTokens(prompt: string, tokenizerDir: string = DEFAULT_TOKENIZER_SOURCE): PromptTokens {
  const vocab = vocabulary(tokenizerDir);
  const words = prompt.trim().toLowerCase().split(/\s+/).filter((w) => w.length > 0);
  const body = words.map((word) => {
    const id = /^[a-z0-9]+$/.test(word) ? vocab[`${word}</w>`] : undefined;
    if (id === undefined) throw new Error(`"${word}" in prompt "${prompt}" is not a single whole-word CLIP token; tokenize it with the real tokenizer`);
    return id;
  });
  if (body.length > MAX_POSITIONS - 2) throw new Error(`prompt "${prompt}" has ${body.length} words; at most ${MAX_POSITIONS - 2} fit`);
  const pad = (padId: number): number[] => [49406, ...body, 49407, ...new Array<number>(MAX_POSITIONS - 2 - body.length).fill(padId)];
  return { ids1: pad(49407), ids2: pad(0) };
}
