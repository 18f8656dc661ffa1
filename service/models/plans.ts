/**
 * What genfill needs to build an optimum-layout folder from a PyTorch-format source: the configs, where the tokenizers
 * come from, and one weight source per network. Made from a diffusers folder or a single-file checkpoint.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { ModelIdentity } from '../../core/protocol';
import { basename, join } from 'node:path';
import { parseUnetConfig, parseVaeConfig } from '../graphs/configs';
import type { WeightSource } from '../graphs/weights';
import { ModelSourceError } from './errors';
import { SDXL_INPAINT_CONFIGS, SDXL_INPAINT_NAME } from './known-configs';
import { readSafetensors } from './safetensors';
import type { SafetensorsFile } from './safetensors';
import { DiffusersWeights, SingleFileWeights } from './safetensors-weights';
import { TEXT_ENCODER_2_PREFIX, textEncoder2Keys, textEncoderKeys, UNET_PREFIX, unetKey, vaeKey } from './single-file-keys';

export type Json = Record<string, unknown>;
export type WeightComponent = 'unet' | 'vae' | 'text_encoder' | 'text_encoder_2';
export const WEIGHT_COMPONENTS: readonly WeightComponent[] = ['unet', 'vae', 'text_encoder', 'text_encoder_2'];
export type { ModelIdentity };

export interface GraphPlan {
  identity: ModelIdentity;
  configs: Record<WeightComponent | 'model_index' | 'scheduler', Json>;
  /** Folder holding tokenizer/ and tokenizer_2/, or null for the bundled CLIP files. */
  tokenizerRoot: string | null;
  weights: Record<WeightComponent, WeightSource>;
  /** Every weight file the graphs may reference (fingerprinted for the cache key). */
  weightFiles: string[];
}

export type Variant = 'fp32' | 'fp16';

function readJson(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ModelSourceError(`${path} is missing`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Json;
  } catch (error) {
    throw new ModelSourceError(`${path} is not valid JSON (${(error as Error).message})`);
  }
}

const PRECISION: Record<string, string> = { F32: 'fp32', F16: 'fp16', BF16: 'bf16' };

function precisionOf(files: readonly SafetensorsFile[]): string {
  const seen = new Set<string>();
  for (const file of files) for (const entry of file.tensors.values()) seen.add(PRECISION[entry.dtype] ?? entry.dtype);
  return [...seen].sort().join('+') || 'unknown';
}

function inpaintingChannels(label: string, channels: number): void {
  if (channels === 9) return;
  throw new ModelSourceError(
    channels === 4
      ? `${label}: the UNet takes 4 input channels: this is a text-to-image SDXL model, not an inpainting one (9 channels); use an SDXL inpainting checkpoint such as diffusers/stable-diffusion-xl-1.0-inpainting-0.1`
      : `${label}: the UNet takes ${channels} input channels; an SDXL inpainting UNet takes 9 (4 latent + 1 mask + 4 masked-image latent)`,
  );
}

/** The weight files of one diffusers component folder, fp32 first unless the fp16 variant is asked for. */
function componentFiles(dir: string, component: WeightComponent, variant: Variant): SafetensorsFile[] {
  const folder = join(dir, component);
  const base = component.startsWith('text_encoder') ? 'model' : 'diffusion_pytorch_model';
  // diffusers/transformers put the variant before the last extension: x.fp16.safetensors, x.safetensors.index.fp16.json.
  const candidates = [
    { file: `${base}.safetensors`, index: `${base}.safetensors.index.json` },
    { file: `${base}.fp16.safetensors`, index: `${base}.safetensors.index.fp16.json` },
  ];
  if (variant === 'fp16') candidates.reverse();
  for (const { file, index: indexName } of candidates) {
    if (existsSync(join(folder, file))) return [readSafetensors(join(folder, file))];
    const index = join(folder, indexName);
    if (existsSync(index)) {
      const map = readJson(index).weight_map;
      if (typeof map !== 'object' || map === null) throw new ModelSourceError(`${index}: no "weight_map"`);
      const shards = new Set<string>();
      for (const [tensor, shard] of Object.entries(map as Record<string, unknown>)) {
        // The index comes from the repo: a shard must be a .safetensors file beside it, never a path elsewhere.
        if (typeof shard !== 'string' || basename(shard) !== shard || !shard.endsWith('.safetensors')) {
          throw new ModelSourceError(`${index}: "weight_map" puts ${tensor} in ${JSON.stringify(shard).slice(0, 80)}, not a .safetensors file in ${folder}`);
        }
        shards.add(shard);
      }
      return [...shards].map((shard) => readSafetensors(join(folder, shard)));
    }
  }
  const present = existsSync(folder) ? readdirSync(folder) : [];
  const bin = present.some((f) => f.endsWith('.bin'));
  throw new ModelSourceError(
    `${folder}: no ${base}.safetensors (or .fp16 variant)${bin ? '; only PyTorch .bin weights, which genfill does not read (they are pickles): get the safetensors files' : ''}`,
  );
}

/** A diffusers pipeline folder (save_pretrained layout, or a Hugging Face cache snapshot of one). */
export function diffusersPlan(dir: string, options: { variant?: Variant; name?: string } = {}): GraphPlan {
  const modelIndex = readJson(join(dir, 'model_index.json'));
  const configs = {
    model_index: modelIndex,
    scheduler: readJson(join(dir, 'scheduler', 'scheduler_config.json')),
    unet: readJson(join(dir, 'unet', 'config.json')),
    vae: readJson(join(dir, 'vae', 'config.json')),
    text_encoder: readJson(join(dir, 'text_encoder', 'config.json')),
    text_encoder_2: readJson(join(dir, 'text_encoder_2', 'config.json')),
  };
  const unetLabel = join(dir, 'unet', 'config.json');
  inpaintingChannels(unetLabel, parseUnetConfig(configs.unet, unetLabel).inChannels);
  const files = {} as Record<WeightComponent, SafetensorsFile[]>;
  const weights = {} as Record<WeightComponent, WeightSource>;
  for (const component of WEIGHT_COMPONENTS) {
    files[component] = componentFiles(dir, component, options.variant ?? 'fp32');
    weights[component] = new DiffusersWeights(files[component], join(dir, component, 'config.json'));
  }
  const all = WEIGHT_COMPONENTS.flatMap((c) => files[c]);
  return {
    identity: { name: options.name ?? basename(dir), format: 'diffusers', weights: precisionOf(all) },
    configs,
    tokenizerRoot: dir,
    weights,
    weightFiles: all.map((f) => f.path),
  };
}

/** Names the kind of checkpoint a single file holds, or throws saying what it is instead. */
function checkSingleFile(file: SafetensorsFile): void {
  const has = (prefix: string): boolean => [...file.tensors.keys(), ...file.unsupported.keys()].some((k) => k.startsWith(prefix));
  const path = file.path;
  if (has('double_blocks.') || has('model.diffusion_model.double_blocks.')) {
    throw new ModelSourceError(`${path}: this is a Flux checkpoint (double_blocks.*); genfill runs SDXL inpainting checkpoints`);
  }
  if (has('cond_stage_model.')) {
    throw new ModelSourceError(`${path}: this is a Stable Diffusion 1.x/2.x checkpoint (cond_stage_model.*); genfill runs SDXL inpainting checkpoints`);
  }
  const convIn = file.tensors.get(`${UNET_PREFIX}input_blocks.0.0.weight`);
  if (!convIn || !has(TEXT_ENCODER_2_PREFIX) || !has('first_stage_model.')) {
    const sample = [...file.tensors.keys()].slice(0, 3).join(', ');
    throw new ModelSourceError(
      `${path}: not an SDXL checkpoint in the original single-file layout (expected ${UNET_PREFIX}*, first_stage_model.*, ${TEXT_ENCODER_2_PREFIX}*; found ${sample || 'no tensors'})`,
    );
  }
  inpaintingChannels(`${path} (tensor ${convIn.name})`, convIn.shape[1]);
}

/** An original-layout SDXL .safetensors; configs from `configFrom` (a diffusers folder) or SDXL-inpaint's own. */
export function singleFilePlan(path: string, options: { configFrom?: string } = {}): GraphPlan {
  const file = readSafetensors(path);
  checkSingleFile(file);
  const from = options.configFrom;
  const configs = from
    ? {
        model_index: readJson(join(from, 'model_index.json')),
        scheduler: readJson(join(from, 'scheduler', 'scheduler_config.json')),
        unet: readJson(join(from, 'unet', 'config.json')),
        vae: readJson(join(from, 'vae', 'config.json')),
        text_encoder: readJson(join(from, 'text_encoder', 'config.json')),
        text_encoder_2: readJson(join(from, 'text_encoder_2', 'config.json')),
      }
    : { ...SDXL_INPAINT_CONFIGS };
  const label = (component: string): string => (from ? join(from, component, 'config.json') : `the ${SDXL_INPAINT_NAME} config`);
  const unet = parseUnetConfig(configs.unet, label('unet'));
  const vae = parseVaeConfig(configs.vae, label('vae'));
  inpaintingChannels(label('unet'), unet.inChannels);
  const weights: Record<WeightComponent, WeightSource> = {
    unet: new SingleFileWeights(file, (name) => [{ key: unetKey(name, unet) }], label('unet')),
    vae: new SingleFileWeights(file, (name) => [vaeKey(name, vae)], label('vae')),
    text_encoder: new SingleFileWeights(file, textEncoderKeys, label('text_encoder')),
    text_encoder_2: new SingleFileWeights(file, textEncoder2Keys, label('text_encoder_2')),
  };
  const tokenizerRoot = from && existsSync(join(from, 'tokenizer', 'vocab.json')) ? from : null;
  return {
    identity: { name: basename(path), format: 'single-file', weights: precisionOf([file]) },
    configs,
    tokenizerRoot,
    weights,
    weightFiles: [file.path],
  };
}
