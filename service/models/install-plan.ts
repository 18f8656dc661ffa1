/**
 * Which files of a diffusers repo `genfill model install` fetches: model_index.json, every component folder it
 * names, and for each network its config.json and ONE set of safetensors weights — the fp16 variant when the repo has
 * one (half the download; genfill runs fp16 weights as fp32 where it must), else the full-precision files, said in a
 * note. Pickled .bin weights are never fetched: genfill reads safetensors only. Pure: the file list in, a plan out.
 */
import { HubError, type HubFile } from './hub-api';

export const PREFERRED_VARIANT = 'fp16';

export interface PlannedWeights {
  component: string;
  /** `fp16`, or `full` when the repo has no fp16 variant of this network. */
  variant: typeof PREFERRED_VARIANT | 'full';
}

export interface InstallPlan {
  /** Smallest first: configs and tokenizers land in seconds, then the weights. */
  files: HubFile[];
  totalBytes: number;
  weights: PlannedWeights[];
  /** Choices the user should hear about (a network without the fp16 variant). */
  notes: string[];
}

const WEIGHT_FILE = /\.(safetensors|bin|ckpt|pt|pth|msgpack|h5|onnx|pb)$|\.index(\.[^.]+)?\.json$/;
const SHARD = String.raw`(?:-\d+-of-\d+)?`;

/** diffusers' variant naming: `name.fp16.safetensors`, sharded `name.fp16-00001-of-00002.safetensors` (or `name-00001-of-00002.fp16.safetensors`) + `name.safetensors.index.fp16.json`. */
function variantPattern(variant: string | undefined): RegExp {
  return variant
    ? new RegExp(String.raw`^[^.]+${SHARD}\.${variant}${SHARD}\.safetensors$|^[^.]+\.safetensors\.index\.${variant}\.json$`)
    : new RegExp(String.raw`^[^.]+${SHARD}\.safetensors$|^[^.]+\.safetensors\.index\.json$`);
}

/** A repo path that stays inside the snapshot folder on every OS. */
export function isSafeRepoPath(path: string): boolean {
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..' && !/[\\:*?"<>|\0]/.test(part));
}

/** The components model_index.json names: `"unet": ["diffusers", "UNet2DConditionModel"]`; `[null, null]` = absent. */
function componentNames(repoId: string, modelIndex: unknown): string[] {
  if (typeof modelIndex !== 'object' || modelIndex === null || Array.isArray(modelIndex)) {
    throw new HubError('layout', `${repoId}: model_index.json is not a JSON object`);
  }
  const names = Object.entries(modelIndex)
    .filter(([key, value]) => !key.startsWith('_') && Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string'))
    .map(([key]) => key);
  if (names.length === 0) throw new HubError('layout', `${repoId}: model_index.json names no pipeline components`);
  return names;
}

export function planInstall(repoId: string, files: HubFile[], modelIndex: unknown): InstallPlan {
  const chosen: HubFile[] = [];
  const weights: PlannedWeights[] = [];
  const notes: string[] = [];
  const byPath = new Map(files.map((f) => [f.path, f]));
  const index = byPath.get('model_index.json');
  if (index) chosen.push(index);

  for (const component of componentNames(repoId, modelIndex)) {
    const inFolder = files.filter((f) => f.path.startsWith(`${component}/`) && !f.path.slice(component.length + 1).includes('/'));
    const name = (f: HubFile) => f.path.slice(component.length + 1);
    if (inFolder.length === 0) throw new HubError('layout', `${repoId}: model_index.json names "${component}" but the repo has no ${component}/ folder`);
    const weightFiles = inFolder.filter((f) => WEIGHT_FILE.test(name(f)));
    if (weightFiles.length === 0) {
      chosen.push(...inFolder); // tokenizer, scheduler: small text files, all of them
      continue;
    }
    const config = byPath.get(`${component}/config.json`);
    if (!config) throw new HubError('layout', `${repoId}: ${component}/ has weights but no config.json`);
    const pick = (variant: string | undefined) => weightFiles.filter((f) => variantPattern(variant).test(name(f)));
    const hasSafetensors = (set: HubFile[]) => set.some((f) => f.path.endsWith('.safetensors'));
    let set = pick(PREFERRED_VARIANT);
    let variant: PlannedWeights['variant'] = PREFERRED_VARIANT;
    if (!hasSafetensors(set)) {
      set = pick(undefined);
      variant = 'full';
      if (!hasSafetensors(set)) {
        throw new HubError(
          'layout',
          `${repoId}: ${component}/ has no .safetensors weights (${weightFiles.map(name).join(', ')}); genfill reads safetensors only, never pickled .bin files`,
        );
      }
      const bytes = set.reduce((sum, f) => sum + f.size, 0);
      notes.push(`${component}: no ${PREFERRED_VARIANT} variant in the repo; taking the full-precision weights (${set.map(name).join(', ')}, ${(bytes / 1e9).toFixed(2)} GB)`);
    }
    chosen.push(config, ...set);
    weights.push({ component, variant });
  }

  for (const file of chosen) {
    if (!isSafeRepoPath(file.path)) throw new HubError('layout', `${repoId}: the hub lists a file path genfill will not write: "${file.path}"`);
  }
  const unique = [...new Map(chosen.map((f) => [f.path, f])).values()].sort((a, b) => a.size - b.size || a.path.localeCompare(b.path));
  return { files: unique, totalBytes: unique.reduce((sum, f) => sum + f.size, 0), weights, notes };
}
