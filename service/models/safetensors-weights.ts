/**
 * Weight sources over .safetensors files: a diffusers component folder (one file, or shards listed by an index), and
 * a single-file checkpoint seen through the key mapping. Both answer with byte ranges of the files: nothing is read.
 */
import type { WeightSource, WeightTensor } from '../graphs/weights';
import { ModelSourceError } from './errors';
import type { SafetensorsEntry, SafetensorsFile } from './safetensors';
import type { SingleFileKey } from './single-file-keys';

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const show = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

function shapeMismatch(file: string, key: string, found: readonly number[], expected: readonly number[], configLabel: string): ModelSourceError {
  return new ModelSourceError(
    `${file}: tensor ${key} has shape ${show(found)} where ${configLabel} implies ${show(expected)}: the configuration does not match these weights ` +
      '(for a single file, pass --config-from <the model\'s diffusers folder>)',
  );
}

function checkType(file: SafetensorsFile, key: string): void {
  const dtype = file.unsupported.get(key);
  if (dtype) throw new ModelSourceError(`${file.path}: tensor ${key} is ${dtype}; genfill runs F32, F16 or BF16 weights`);
}

/** A diffusers component: `name` as the builder asks, or without transformers' `text_model.` prefix (transformers ≥ 5 drops it). */
export class DiffusersWeights implements WeightSource {
  private readonly index = new Map<string, { file: SafetensorsFile; entry: SafetensorsEntry }>();
  /** Tensors of a dtype genfill does not run, by name: an error only if a graph needs one. */
  private readonly unsupported = new Map<string, SafetensorsFile>();

  constructor(
    files: readonly SafetensorsFile[],
    private readonly configLabel: string,
  ) {
    for (const file of files) for (const [name, entry] of file.tensors) this.index.set(name, { file, entry });
    for (const file of files) for (const name of file.unsupported.keys()) if (!this.index.has(name)) this.unsupported.set(name, file);
  }

  tensor(name: string, shape: readonly number[]): WeightTensor {
    const candidates = name.startsWith('text_model.') ? [name, name.slice('text_model.'.length)] : [name];
    for (const key of candidates) {
      const unsupported = this.unsupported.get(key);
      if (unsupported) checkType(unsupported, key);
      const found = this.index.get(key);
      if (!found) continue;
      if (!sameShape(found.entry.shape, shape)) throw shapeMismatch(found.file.path, key, found.entry.shape, shape, this.configLabel);
      const { entry, file } = found;
      return { type: entry.type, dims: [...shape], transposed: false, file: file.path, offset: entry.offset, length: entry.length };
    }
    const files = [...new Set([...this.index.values()].map((v) => v.file.path))];
    throw new ModelSourceError(`${files.join(', ') || 'the weights'}: tensor ${candidates[candidates.length - 1]} is missing (incomplete or different model)`);
  }
}

/** A single-file checkpoint: `keyOf` maps a diffusers name to the original key (and row range / layout). */
export class SingleFileWeights implements WeightSource {
  constructor(
    private readonly file: SafetensorsFile,
    private readonly keyOf: (name: string) => SingleFileKey[],
    private readonly configLabel: string,
  ) {}

  tensor(name: string, shape: readonly number[]): WeightTensor {
    const candidates = this.keyOf(name);
    for (const candidate of candidates) {
      checkType(this.file, candidate.key);
      const entry = this.file.tensors.get(candidate.key);
      if (!entry) continue;
      return this.resolve(entry, candidate, shape);
    }
    throw new ModelSourceError(`${this.file.path}: tensor ${candidates.map((c) => c.key).join(' (or ')}${candidates.length > 1 ? ')' : ''} is missing (needed for ${name})`);
  }

  private resolve(entry: SafetensorsEntry, candidate: SingleFileKey, shape: readonly number[]): WeightTensor {
    const path = this.file.path;
    const elementBytes = entry.type === 'float32' ? 4 : 2;
    const count = shape.reduce((a, b) => a * b, 1);
    const base = { type: entry.type, dims: [...shape], file: path };
    if (candidate.part) {
      // A fused q‖k‖v tensor: the requested part is a contiguous run of rows, so it is referenced, not sliced.
      const { index, of } = candidate.part;
      const expected = [shape[0] * of, ...shape.slice(1)];
      if (!sameShape(entry.shape, expected)) throw shapeMismatch(path, entry.name, entry.shape, expected, this.configLabel);
      const length = count * elementBytes;
      return { ...base, transposed: false, offset: entry.offset + index * length, length };
    }
    if (candidate.transposed) {
      const expected = [...shape].reverse();
      if (!sameShape(entry.shape, expected)) throw shapeMismatch(path, entry.name, entry.shape, expected, this.configLabel);
      return { ...base, dims: expected, transposed: true, offset: entry.offset, length: entry.length };
    }
    // A 1×1 convolution kernel [C, C, 1, 1] stands for a linear weight [C, C]: same bytes.
    const squeezed = candidate.conv1x1 ? entry.shape.filter((d, i) => i < 2 || d !== 1) : entry.shape;
    if (!sameShape(squeezed, shape)) throw shapeMismatch(path, entry.name, entry.shape, shape, this.configLabel);
    return { ...base, transposed: false, offset: entry.offset, length: entry.length };
  }
}
