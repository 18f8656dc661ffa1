/**
 * The optimum ONNX export folder of an SDXL inpainting model: layout check and config reading, without creating any
 * session. Every problem is collected so the user fixes the folder in one go instead of one error per attempt.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors';
import { parseSchedulerConfig } from './schedulers';
import type { SchedulerConfig } from './schedulers';

export const GRAPH_COMPONENTS = ['text_encoder', 'text_encoder_2', 'unet', 'vae_encoder', 'vae_decoder'] as const;
export type GraphComponent = (typeof GRAPH_COMPONENTS)[number];
export const TOKENIZER_FOLDERS = ['tokenizer', 'tokenizer_2'] as const;

const EXPORT_HINT =
  'export the model with `optimum-cli export onnx --model diffusers/stable-diffusion-xl-1.0-inpainting-0.1 --task inpainting <folder>`';

export interface ModelSummary {
  dir: string;
  /** `_class_name` of model_index.json, e.g. StableDiffusionXLInpaintPipeline. */
  pipelineClass: string | null;
  forceZerosForEmptyPrompt: boolean;
  requiresAestheticsScore: boolean;
  /** `_class_name` of the scheduler config (the model's default scheduler). */
  schedulerClass: string | null;
  vaeScalingFactor: number;
  /** From unet/config.json; 9 for an inpainting UNet. */
  unetInChannels: number | null;
  /** Latent size the UNet was trained at (unet/config.json sample_size); ×8 = default pixel size. */
  unetSampleSize: number | null;
  /** Components whose weights live in an external `model.onnx_data`. */
  externalData: GraphComponent[];
}

export interface ModelFolder {
  dir: string;
  summary: ModelSummary;
  schedulerConfig: SchedulerConfig;
  graphPath(component: GraphComponent): string;
  tokenizerDir(which: (typeof TOKENIZER_FOLDERS)[number]): string;
}

interface Inspection {
  ok: boolean;
  problems: string[];
  summary: ModelSummary;
  schedulerConfig: SchedulerConfig | null;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

type Json = Record<string, unknown>;

/** Reads a JSON object; a missing or malformed file is reported in `problems` and gives null. */
async function readJson(path: string, label: string, problems: string[], required: boolean): Promise<Json | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    if (required) problems.push(`${label} is missing`);
    return null;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Json;
  } catch (error) {
    problems.push(`${label} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    return null;
  }
}

function booleanKey(json: Json | null, key: string, fallback: boolean, label: string, problems: string[]): boolean {
  const value = json?.[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') {
    problems.push(`${label}: "${key}" should be true or false, found ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

function numberKey(json: Json | null, key: string, label: string, problems: string[]): number | null {
  const value = json?.[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    problems.push(`${label}: "${key}" should be a positive number, found ${JSON.stringify(value)}`);
    return null;
  }
  return value;
}

async function inspectGraph(dir: string, component: GraphComponent, problems: string[], external: GraphComponent[]): Promise<void> {
  const folder = join(dir, component);
  if (!(await isDirectory(folder))) {
    // A diffusers checkpoint has one vae/ folder where an ONNX export has vae_encoder/ and vae_decoder/.
    const diffusersVae = component.startsWith('vae_') && (await isDirectory(join(dir, 'vae')));
    const detail = diffusersVae ? '; found vae/ instead: this is a diffusers (PyTorch) folder, not an ONNX export' : '';
    problems.push(`${component}/ is missing (expected ${component}/model.onnx)${detail}`);
    return;
  }
  if (!(await isFile(join(folder, 'model.onnx')))) {
    const files = await readdir(folder).catch(() => [] as string[]);
    const pytorch = files.some((f) => f.endsWith('.safetensors') || f.endsWith('.bin'));
    const otherOnnx = files.filter((f) => f.endsWith('.onnx'));
    const detail = pytorch
      ? ' (it holds PyTorch weights: this is a diffusers folder, not an ONNX export)'
      : otherOnnx.length > 0
        ? ` (found ${otherOnnx.join(', ')}; optimum names the graph model.onnx)`
        : '';
    problems.push(`${component}/model.onnx is missing${detail}`);
    return;
  }
  if (await isFile(join(folder, 'model.onnx_data'))) external.push(component);
}

/** Validates an optimum export folder without creating sessions; lists EVERY problem in words a user can act on. */
export async function inspectModelFolder(dir: string): Promise<{ ok: boolean; problems: string[]; summary: ModelSummary }> {
  const { ok, problems, summary } = await inspect(dir);
  return { ok, problems, summary };
}

async function inspect(dir: string): Promise<Inspection> {
  const problems: string[] = [];
  const summary: ModelSummary = {
    dir,
    pipelineClass: null,
    forceZerosForEmptyPrompt: true,
    requiresAestheticsScore: false,
    schedulerClass: null,
    vaeScalingFactor: 0.13025,
    unetInChannels: null,
    unetSampleSize: null,
    externalData: [],
  };
  if (!(await isDirectory(dir))) {
    problems.push(`model folder ${dir} does not exist or is not a folder; ${EXPORT_HINT}`);
    return { ok: false, problems, summary, schedulerConfig: null };
  }

  // model_index.json: pipeline class and the two flags that change prompt encoding and time ids.
  const index = await readJson(join(dir, 'model_index.json'), 'model_index.json', problems, true);
  if (index !== null) {
    const className = index._class_name;
    summary.pipelineClass = typeof className === 'string' ? className : null;
    if (summary.pipelineClass !== null && !summary.pipelineClass.includes('Inpaint')) {
      problems.push(
        `model_index.json names ${summary.pipelineClass}, not an inpainting pipeline (StableDiffusionXLInpaintPipeline); ${EXPORT_HINT}`,
      );
    }
    summary.forceZerosForEmptyPrompt = booleanKey(index, 'force_zeros_for_empty_prompt', true, 'model_index.json', problems);
    summary.requiresAestheticsScore = booleanKey(index, 'requires_aesthetics_score', false, 'model_index.json', problems);
  }

  // Scheduler: the model's values (betas, spacing, offset) drive every scheduler genfill offers.
  let schedulerConfig: SchedulerConfig | null = null;
  const schedulerJson = await readJson(join(dir, 'scheduler', 'scheduler_config.json'), 'scheduler/scheduler_config.json', problems, true);
  if (schedulerJson !== null) {
    summary.schedulerClass = typeof schedulerJson._class_name === 'string' ? schedulerJson._class_name : null;
    try {
      schedulerConfig = parseSchedulerConfig(schedulerJson);
    } catch (error) {
      problems.push(`scheduler/scheduler_config.json: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  for (const tokenizer of TOKENIZER_FOLDERS) {
    const folder = join(dir, tokenizer);
    if (!(await isDirectory(folder))) {
      problems.push(`${tokenizer}/ is missing (expected vocab.json and merges.txt)`);
      continue;
    }
    for (const file of ['vocab.json', 'merges.txt']) {
      if (!(await isFile(join(folder, file)))) problems.push(`${tokenizer}/${file} is missing`);
    }
    // The pad token lives only there, and SDXL's two tokenizers differ in it: guessing would change every image.
    const specialFiles = ['special_tokens_map.json', 'tokenizer_config.json'];
    if (!(await isFile(join(folder, specialFiles[0]))) && !(await isFile(join(folder, specialFiles[1])))) {
      problems.push(`${tokenizer}/ has neither ${specialFiles.join(' nor ')}, so its pad token is unknown`);
    }
  }

  for (const component of GRAPH_COMPONENTS) await inspectGraph(dir, component, problems, summary.externalData);

  // UNet config: an inpainting UNet takes 9 channels (4 noisy latent | 1 mask | 4 masked-image latent).
  const unetConfig = await readJson(join(dir, 'unet', 'config.json'), 'unet/config.json', problems, true);
  summary.unetInChannels = numberKey(unetConfig, 'in_channels', 'unet/config.json', problems);
  summary.unetSampleSize = numberKey(unetConfig, 'sample_size', 'unet/config.json', problems);
  if (summary.unetInChannels !== null && summary.unetInChannels !== 9) problems.push(unetChannelsProblem(summary.unetInChannels));

  // VAE scaling factor: optimum copies the full AutoencoderKL config into both VAE folders.
  const vaeDecoderConfig = await readJson(join(dir, 'vae_decoder', 'config.json'), 'vae_decoder/config.json', problems, false);
  const vaeEncoderConfig = await readJson(join(dir, 'vae_encoder', 'config.json'), 'vae_encoder/config.json', problems, false);
  const scaling =
    numberKey(vaeDecoderConfig, 'scaling_factor', 'vae_decoder/config.json', problems) ??
    numberKey(vaeEncoderConfig, 'scaling_factor', 'vae_encoder/config.json', problems);
  if (scaling === null) {
    problems.push('vae_decoder/config.json (or vae_encoder/config.json) with the VAE "scaling_factor" is missing');
  } else {
    summary.vaeScalingFactor = scaling;
  }

  return { ok: problems.length === 0, problems, summary, schedulerConfig };
}

export function unetChannelsProblem(channels: number): string {
  return channels === 4
    ? 'unet takes 4 input channels: this is a text-to-image SDXL UNet, not an inpainting one (9 channels); ' + EXPORT_HINT
    : `unet takes ${channels} input channels; an SDXL inpainting UNet takes 9 (4 latent + 1 mask + 4 masked-image latent)`;
}

/** Inspects and, when the folder is usable, returns its configuration; otherwise throws one EngineError listing every problem. */
export async function loadModelFolder(dir: string): Promise<ModelFolder> {
  const { problems, summary, schedulerConfig } = await inspect(dir);
  if (problems.length > 0 || schedulerConfig === null) {
    throw new EngineError(`model folder ${dir} cannot be used:\n- ${problems.join('\n- ')}`);
  }
  return {
    dir,
    summary,
    schedulerConfig,
    graphPath: (component) => join(dir, component, 'model.onnx'),
    tokenizerDir: (which) => join(dir, which),
  };
}
