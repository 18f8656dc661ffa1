// Shared set-up for the pipeline tests: tiny models in temp folders, simple jobs, region statistics.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineJob, EngineProgress, EngineRunContext } from '../../service/engine-io';
import { loadModelFolder } from '../../service/pipeline/model-folder';
import { loadSdxlModels } from '../../service/pipeline/sdxl-models';
import { createOrtRuntime } from '../../service/runtime/ort-runtime';
import type { Runtime } from '../../service/runtime/runtime';
import type { SdxlModels } from '../../service/pipeline/sdxl-models';
import { generateTinySdxl } from '../models/tiny-sdxl';
import type { TinyModel, TinyModelOptions, TinyVariant } from '../models/tiny-sdxl';

const folders: string[] = [];

/** Generates a tiny model into a fresh temp folder (removed by `removeTinyModels`). */
export async function tinyModel(variant: TinyVariant, options: TinyModelOptions = {}): Promise<TinyModel> {
  const dir = await mkdtemp(join(tmpdir(), `genfill-tiny-${variant}-`));
  folders.push(dir);
  return generateTinySdxl(dir, variant, options);
}

export async function removeTinyModels(): Promise<void> {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function loadTinyModels(dir: string, lowMemory = false, runtime: Runtime = createOrtRuntime()): Promise<SdxlModels> {
  return loadSdxlModels(runtime, await loadModelFolder(dir), 'cpu', lowMemory);
}

export const IMAGE_COLOUR = [200, 50, 100] as const;

/** A solid-colour image whose left `maskedColumns` pixels (a multiple of 8) are to be repainted. */
export function solidJob(overrides: Partial<EngineJob> & { maskedColumns?: number } = {}): EngineJob {
  const width = overrides.width ?? 64;
  const height = overrides.height ?? 48;
  const masked = overrides.maskedColumns ?? width / 2;
  const image = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) image.set(IMAGE_COLOUR, p * 3);
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) mask.fill(255, y * width, y * width + masked);
  const { maskedColumns: _ignored, ...rest } = overrides;
  return {
    width,
    height,
    image,
    mask,
    prompt: 'a red apple',
    negativePrompt: undefined,
    steps: 6,
    guidance: 5,
    guidanceRescale: 0,
    strength: 0.99,
    scheduler: 'euler',
    seeds: [7],
    ...rest,
  };
}

/** Largest per-channel distance between `colour` and the pixels of columns [x0, x1). */
export function maxDeviation(rgb: Uint8Array, width: number, x0: number, x1: number, colour: readonly number[]): number {
  let worst = 0;
  const height = rgb.length / 3 / width;
  for (let y = 0; y < height; y++) {
    for (let x = x0; x < x1; x++) {
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(rgb[(y * width + x) * 3 + c] - colour[c]));
    }
  }
  return worst;
}

/** Mean colour of columns [x0, x1). */
export function meanColour(rgb: Uint8Array, width: number, x0: number, x1: number): number[] {
  const height = rgb.length / 3 / width;
  const sum = [0, 0, 0];
  for (let y = 0; y < height; y++) for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) sum[c] += rgb[(y * width + x) * 3 + c];
  return sum.map((s) => s / (height * (x1 - x0)));
}

/** A run context that records progress and cancels once `cancelAfterSteps` denoising events were seen. */
export function recordingContext(cancelAfterSteps = Infinity): EngineRunContext & { events: EngineProgress[] } {
  const events: EngineProgress[] = [];
  return {
    events,
    onProgress: (progress) => events.push(progress),
    isCancelled: () => events.filter((e) => e.phase === 'denoising').length >= cancelAfterSteps,
  };
}
