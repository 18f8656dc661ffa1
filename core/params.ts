/**
 * Generation parameters: names (AUTOMATIC1111 vocabulary), defaults and limits, shared by the panel (its controls)
 * and the service (request validation). One table, so both sides always agree.
 */

export const SCHEDULERS = ['euler', 'euler_karras', 'euler_a', 'dpmpp_2m', 'dpmpp_2m_karras', 'ddim'] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];

/** Human labels in A1111's words, for menus and logs. */
export const SCHEDULER_LABELS: Record<SchedulerName, string> = {
  euler: 'Euler',
  euler_karras: 'Euler Karras',
  euler_a: 'Euler a',
  dpmpp_2m: 'DPM++ 2M',
  dpmpp_2m_karras: 'DPM++ 2M Karras',
  ddim: 'DDIM',
};

export const ENGINE_NAMES = ['sdxl', 'classic'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];
export const ENGINE_CHOICES = ['auto', ...ENGINE_NAMES] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

/**
 * What an empty prompt asks of engine `auto`: `generate` lets SDXL paint from the surroundings; `remove` takes the
 * classic content-aware fill, like Photoshop's "empty prompt removes".
 */
export const EMPTY_PROMPT_MODES = ['generate', 'remove'] as const;
export type EmptyPromptMode = (typeof EMPTY_PROMPT_MODES)[number];

/** Soft-edge denoising and colour match are on unless a client turns them off. */
export const DEFAULT_SOFT_INPAINTING = true;
export const DEFAULT_COLOR_MATCH = true;

export const ENGINE_LABELS: Record<EngineName, string> = { sdxl: 'SDXL inpainting', classic: 'Content-aware fill (classic)' };

export interface NumericLimit {
  min: number;
  max: number;
  default: number;
  integer: boolean;
}

export const LIMITS = {
  steps: { min: 1, max: 150, default: 20, integer: true },
  guidance: { min: 0, max: 30, default: 8, integer: false },
  guidanceRescale: { min: 0, max: 1, default: 0, integer: false },
  // The model card recommends strength < 1 (0.99): at exactly 1 the pipeline ignores the encoded image.
  strength: { min: 0.01, max: 1, default: 0.99, integer: false },
  // Photoshop's Generative Fill returns 3 variations.
  variations: { min: 1, max: 8, default: 3, integer: true },
  seed: { min: 0, max: 2 ** 32 - 1, default: 0, integer: true },
} as const satisfies Record<string, NumericLimit>;

/** Size limits for every input the service accepts. */
export const INPUT_LIMITS = {
  /** Longest prompt accepted, in characters (tokens beyond 75 are truncated and reported, not refused). */
  promptChars: 2000,
  /** Largest side of an uploaded crop, in pixels. */
  maxSide: 8192,
  /** Largest uploaded crop, in pixels (≈ 4096²): RGBA raw is 64 MiB at this size. */
  maxPixels: 4096 * 4096,
  /** Largest request body accepted. */
  maxBodyBytes: 4096 * 4096 * 4 * 2 + 1024 * 1024,
  /** Largest params JSON part. */
  maxParamsBytes: 64 * 1024,
} as const;

export const DEFAULT_SCHEDULER: SchedulerName = 'euler';

/** Execution providers a user can ask for; `auto` tries the platform's GPU providers first, then CPU. */
export const EXECUTION_PROVIDERS = ['auto', 'cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const;
export type ExecutionProviderChoice = (typeof EXECUTION_PROVIDERS)[number];
