/**
 * What crosses into and out of an engine: the job at its working size, progress, previews, images. Plain typed data,
 * so it can be posted between threads; below engines, pipeline and worker, so each of them can import it.
 */
import type { SchedulerName } from '../core/params';
import type { ProgressUnit } from '../core/protocol';

/** What to generate, as the client asked for it (defaults applied). */
export interface GenerationSettings {
  prompt: string;
  /** undefined = no negative prompt (SDXL: zero embeddings); "" = encode the empty string. */
  negativePrompt: string | undefined;
  steps: number;
  guidance: number;
  guidanceRescale: number;
  strength: number;
  scheduler: SchedulerName;
}

/** One inpainting request at the working size; the service has already resized the crop to it. */
export interface EngineJob extends GenerationSettings {
  width: number;
  height: number;
  /** RGB, 8-bit, interleaved, width·height·3. */
  image: Uint8Array;
  /** Gray, 8-bit, width·height; soft values kept (engines binarise as their model requires). */
  mask: Uint8Array;
  /** One seed per variation: seed, seed+1, … */
  seeds: number[];
  /**
   * Soft-edge denoising (SDXL): the soft mask steers every step (pipeline/soft-inpainting.ts). The service sets it
   * for feathered selections unless the client turned it off; absent = diffusers' path exactly.
   */
  softInpainting?: boolean;
}

export interface EnginePreview {
  width: number;
  height: number;
  /** RGB, 8-bit, interleaved; small (a few hundred pixels a side). */
  rgb: Uint8Array;
}

export interface EngineProgress {
  phase: 'loading' | 'preparing' | 'denoising' | 'finishing';
  /** Variation being worked on (0-based), or null when all variations advance together in one batch. */
  variation: number | null;
  /** What a step is: a denoising step (default) or a fill pass (classic). */
  unit?: ProgressUnit;
  /** Steps done within the current variation (or batch), 0..steps. */
  step: number;
  steps: number;
  preview?: EnginePreview;
}

export interface EngineImage {
  seed: number;
  width: number;
  height: number;
  /** RGB, 8-bit, interleaved, at the job's working size. */
  rgb: Uint8Array;
}

export interface EngineOutput {
  images: EngineImage[];
  /** Non-fatal remarks for the job, e.g. "prompt: 12 tokens beyond the 77-token limit were ignored". */
  warnings: string[];
}

export interface EngineRunContext {
  onProgress(progress: EngineProgress): void;
  /** Polled between steps; when true the engine throws CancelledError before its next expensive call. */
  isCancelled(): boolean;
}
