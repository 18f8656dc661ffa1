/**
 * Writes a GraphPlan as an optimum-layout folder the pipeline loads unchanged: per graph `model.onnx` whose external
 * data points at byte ranges of the source .safetensors. onnxruntime resolves external data only inside the model's
 * own folder and refuses symlinks that leave it (Hugging Face cache snapshots are such symlinks), so each weight file
 * is HARD-LINKED beside the graph (no bytes copied). Where a hard link is impossible (another file system, no rights)
 * the file is copied once, with progress, and the other graphs hard-link that copy. Everything is written into a
 * temporary sibling folder and renamed into place, so an error leaves nothing half-written.
 *
 * Not used: onnxruntime's `externalData` session option, which takes each file's bytes as an in-memory buffer — the
 * whole checkpoint read into the JS heap (6.5–13 GB for SDXL) before the session copies what it needs.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, linkSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync, existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ComputeType } from '../graphs/layers';
import { buildSdxlGraph } from '../graphs/sdxl-graphs';
import { GRAPH_COMPONENTS, TOKENIZER_FOLDERS } from '../pipeline/model-folder';
import { clipSpecialTokens, clipTokenizerFiles } from './bundled-tokenizer';
import { ModelSourceError } from './errors';
import type { GraphPlan, ModelIdentity } from './plans';

/** Bump when the graphs a given source produces change, so cached folders are rebuilt. */
export const BUILDER_VERSION = 1;
/** Written last into a finished folder: identity and fingerprint. */
export const SOURCE_FILE = 'genfill-source.json';
const TOKENIZER_FILES = ['vocab.json', 'merges.txt', 'special_tokens_map.json', 'tokenizer_config.json'];

export interface Progress {
  (done: number, total: number, label: string): void;
}

export interface WriteOptions {
  /** Precision of the UNet and text encoder graphs (the VAE always computes in float32); default float32. */
  compute?: ComputeType;
  onProgress?: Progress;
  /** Hard-links a file (injectable so tests can take the copy path). */
  link?: (from: string, to: string) => void;
  log?: (line: string) => void;
}

/** genfill's cache: GENFILL_CACHE_DIR, else $XDG_CACHE_HOME/genfill, else ~/.cache/genfill. */
export function genfillCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.GENFILL_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'genfill');
}

/** Builder version + configs + each weight file's real path, size and mtime: a source that changes gets a new folder. */
export function planFingerprint(plan: GraphPlan, compute: ComputeType = 'float32'): string {
  const files = plan.weightFiles.map((file) => {
    const real = realpathSync(file);
    const { size, mtimeMs } = statSync(real);
    return [real, size, mtimeMs];
  });
  const text = JSON.stringify({ v: BUILDER_VERSION, compute, format: plan.identity.format, configs: plan.configs, files, tokenizers: plan.tokenizerRoot });
  return createHash('sha256').update(text).digest('hex').slice(0, 20);
}

async function copyWithProgress(from: string, to: string, onProgress?: Progress): Promise<void> {
  const total = statSync(from).size;
  let done = 0;
  const reader = createReadStream(from);
  reader.on('data', (chunk) => {
    done += chunk.length;
    onProgress?.(done, total, `copying ${basename(from)}`);
  });
  await pipeline(reader, createWriteStream(to));
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The source's own tokenizer folders, or the bundled CLIP files for a source without them. */
function writeTokenizers(plan: GraphPlan, dir: string): void {
  let bundled: ReturnType<typeof clipTokenizerFiles> | null = null;
  for (const folder of TOKENIZER_FOLDERS) {
    mkdirSync(join(dir, folder), { recursive: true });
    if (plan.tokenizerRoot === null || !existsSync(join(plan.tokenizerRoot, folder, 'vocab.json'))) {
      bundled ??= clipTokenizerFiles();
      writeFileSync(join(dir, folder, 'vocab.json'), bundled['vocab.json']);
      writeFileSync(join(dir, folder, 'merges.txt'), bundled['merges.txt']);
      writeJson(join(dir, folder, 'special_tokens_map.json'), clipSpecialTokens(folder === 'tokenizer' ? '<|endoftext|>' : '!'));
      continue;
    }
    for (const file of TOKENIZER_FILES) {
      const from = join(plan.tokenizerRoot as string, folder, file);
      if (existsSync(from)) copyFileSync(from, join(dir, folder, file));
    }
  }
}

/** Writes the folder for `plan` at `target` (which must not exist yet), atomically. */
export async function writeGraphFolder(plan: GraphPlan, target: string, options: WriteOptions = {}): Promise<void> {
  const temp = `${target}.partial-${process.pid}-${Date.now()}`;
  const link = options.link ?? linkSync;
  mkdirSync(temp, { recursive: true });
  try {
    writeJson(join(temp, 'model_index.json'), { ...plan.configs.model_index, _class_name: 'StableDiffusionXLInpaintPipeline' });
    writeJson(join(temp, 'scheduler', 'scheduler_config.json'), plan.configs.scheduler);
    writeTokenizers(plan, temp);
    const componentConfig = { unet: 'unet', vae_encoder: 'vae', vae_decoder: 'vae', text_encoder: 'text_encoder', text_encoder_2: 'text_encoder_2' } as const;
    // One copy per source file at most, when hard links to the source fail; later graphs link to that copy.
    const copies = new Map<string, string>();
    for (const component of GRAPH_COMPONENTS) {
      const folder = join(temp, component);
      mkdirSync(folder, { recursive: true });
      writeJson(join(folder, 'config.json'), plan.configs[componentConfig[component]]);
      const used = new Map<string, string>();
      const locate = (file: string): string => {
        let name = used.get(file);
        if (name === undefined) {
          name = used.size === 0 ? basename(file) : `${used.size}-${basename(file)}`;
          used.set(file, name);
        }
        return name;
      };
      options.log?.(`building ${component}`);
      const net = buildSdxlGraph(component, { configs: plan.configs, weights: plan.weights, locate, compute: options.compute });
      writeFileSync(join(folder, 'model.onnx'), net.encode());
      for (const [file, name] of used) {
        // The real file: linking a symlink (an HF cache snapshot entry) would link the link.
        const real = realpathSync(file);
        const destination = join(folder, name);
        const copy = copies.get(real);
        try {
          link(copy ?? real, destination);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (copy !== undefined || !['EXDEV', 'EPERM', 'EACCES', 'ENOTSUP', 'EMLINK', 'ENOSYS'].includes(code ?? '')) throw error;
          options.log?.(`cannot hard-link ${real} (${code}); copying it once into the cache`);
          await copyWithProgress(real, destination, options.onProgress);
          copies.set(real, destination);
        }
      }
    }
    writeJson(join(temp, SOURCE_FILE), { identity: plan.identity, builder: BUILDER_VERSION });
    try {
      renameSync(temp, target);
    } catch (error) {
      // Another process finished the same folder first: theirs is as good as ours.
      if (!existsSync(join(target, SOURCE_FILE))) throw error;
      rmSync(temp, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

/** Removes partial folders of `target` left by processes that died while building (their pid is gone). */
function removeAbandoned(target: string): void {
  const prefix = `${basename(target)}.partial-`;
  for (const entry of readdirSync(dirname(target))) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(dirname(target), entry), { recursive: true, force: true });
    }
  }
}

/** The cached folder for `plan`, built on first use. */
export async function cachedGraphFolder(plan: GraphPlan, options: WriteOptions & { cacheDir?: string } = {}): Promise<string> {
  const target = join(options.cacheDir ?? genfillCacheDir(), 'graphs', planFingerprint(plan, options.compute));
  if (existsSync(join(target, SOURCE_FILE))) return target;
  if (existsSync(dirname(target))) removeAbandoned(target);
  if (existsSync(target)) rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  try {
    await writeGraphFolder(plan, target, options);
  } catch (error) {
    if (error instanceof ModelSourceError) throw error;
    throw new ModelSourceError(`building the ONNX graphs for ${plan.identity.name} failed: ${(error as Error).message}`, { cause: error });
  }
  return target;
}

/** The identity recorded in a folder genfill wrote, if any. */
export function folderIdentity(dir: string): ModelIdentity | null {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, SOURCE_FILE), 'utf8')) as { identity?: ModelIdentity };
    return parsed.identity ?? null;
  } catch {
    return null;
  }
}

