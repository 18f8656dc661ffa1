// The golden kit (../shared/golden-sdxl-tiny, made by diffusers and transformers): paths, readers, comparisons.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const GOLDEN = join(import.meta.dirname, '..', '..', '..', 'shared', 'golden-sdxl-tiny');
export const GOLDEN_DIFFUSERS = join(GOLDEN, 'diffusers');
export const GOLDEN_SINGLE_FILE = join(GOLDEN, 'single-file', 'model.safetensors');
export const haveGolden = existsSync(join(GOLDEN, 'components', 'components.json'));
export const GOLDEN_SKIP_MESSAGE = `golden-sdxl-tiny not found at ${GOLDEN}: skipping the graph-builder checks against diffusers`;

export function readF32(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function readGoldenJson<T>(relative: string): T {
  return JSON.parse(readFileSync(join(GOLDEN, relative), 'utf8')) as T;
}

/** max|a − b| / max|b|: the "relative" error for a whole tensor. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}
