/**
 * `--model <source>` → an optimum-layout folder the pipeline loads. A source is an optimum ONNX export (used as is),
 * a diffusers folder, a Hugging Face repo id found in the local HF cache, or a single-file .safetensors checkpoint;
 * the last three get their graphs built once into genfill's cache (weights hard-linked, not copied).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ModelSourceError } from './errors';
import { cachedGraphFolder, folderIdentity } from './graph-folder';
import type { WriteOptions } from './graph-folder';
import { findCachedSnapshot, hubCacheDir, isRepoId } from './hub-cache';
import { diffusersPlan, singleFilePlan } from './plans';
import type { GraphPlan, ModelIdentity, Variant } from './plans';

export interface ResolveOptions extends WriteOptions {
  /** Diffusers folder whose configs (and tokenizers) a single-file checkpoint uses. */
  configFrom?: string;
  /** Which diffusers weight files to prefer when both exist (default fp32). */
  variant?: Variant;
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedModel {
  /** The optimum-layout folder to load. */
  dir: string;
  identity: ModelIdentity;
}

const isDir = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

function isOnnxExport(dir: string): boolean {
  return existsSync(join(dir, 'unet', 'model.onnx'));
}

function isDiffusersFolder(dir: string): boolean {
  return existsSync(join(dir, 'model_index.json')) && isDir(join(dir, 'unet')) && isDir(join(dir, 'vae'));
}

/** The plan for a source that needs graphs built, or the folder itself when it is (or claims to be) an ONNX export. */
export function planFor(source: string, options: ResolveOptions = {}): GraphPlan | { onnx: string; identity: ModelIdentity } {
  const env = options.env ?? process.env;
  const path = resolve(source);
  if (existsSync(path)) {
    if (isDir(path)) {
      if (!isOnnxExport(path) && isDiffusersFolder(path)) return diffusersPlan(path, { variant: options.variant });
      // Anything else is taken for an ONNX export: the model-folder check then lists every problem it has.
      return { onnx: path, identity: folderIdentity(path) ?? { name: basename(path), format: 'onnx', weights: null } };
    }
    if (path.endsWith('.safetensors')) return singleFilePlan(path, { configFrom: options.configFrom && resolve(options.configFrom) });
    throw new ModelSourceError(`${path}: genfill reads .safetensors checkpoints (not ${basename(path)}); .ckpt/.bin files are pickles and are not loaded`);
  }
  if (isRepoId(source)) {
    const snapshot = findCachedSnapshot(source, { cacheDir: hubCacheDir(env) });
    if (!snapshot) {
      throw new ModelSourceError(
        `${source} is not in the Hugging Face cache (${hubCacheDir(env)}): download it with \`npx genfill model install ${source}\`, or point --model at a folder or .safetensors file`,
      );
    }
    if (isOnnxExport(snapshot)) return { onnx: snapshot, identity: { name: source, format: 'onnx', weights: null } };
    if (existsSync(join(snapshot, 'model_index.json'))) return diffusersPlan(snapshot, { variant: options.variant ?? 'fp16', name: source });
    // A repo holding one checkpoint file (how many fine-tunes are published).
    const files = readdirSync(snapshot).filter((f) => f.endsWith('.safetensors'));
    if (files.length !== 1) {
      throw new ModelSourceError(
        `${source} (${snapshot}) has no model_index.json and ${files.length === 0 ? 'no' : `${files.length}`} .safetensors files at its top: point --model at the one checkpoint file`,
      );
    }
    const plan = singleFilePlan(join(snapshot, files[0]), { configFrom: options.configFrom && resolve(options.configFrom) });
    return { ...plan, identity: { ...plan.identity, name: `${source}/${files[0]}` } };
  }
  throw new ModelSourceError(`model ${source} does not exist (a folder, a .safetensors file, or a Hugging Face repo id like org/name)`);
}

/** Resolves `source` to a loadable folder, building and caching graphs when needed. */
export async function resolveModelSource(source: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
  const plan = planFor(source, options);
  if ('onnx' in plan) return { dir: plan.onnx, identity: plan.identity };
  const dir = await cachedGraphFolder(plan, options);
  return { dir, identity: plan.identity };
}
