/**
 * Protocol v1: the wire contract between the service and its clients (the Photoshop panel, the CLI, other editors).
 * Plain JSON-able data only. Pixels never travel as base64: they are multipart parts (requests) or binary bodies
 * (results, previews).
 */
import type { ErrorInfo } from './errors';
import type { EmptyPromptMode, EngineChoice, EngineName, SchedulerName } from './params';
import type { Rect, Size } from './geometry';

export const PROTOCOL_VERSION = 1;
export const SERVICE_NAME = 'genfill';
export const DEFAULT_PORT = 7870;
export const DEFAULT_HOST = '127.0.0.1';

// ---------------------------------------------------------------------------------------------------------------
// Health

export type EngineState = 'ready' | 'loading' | 'failed' | 'unavailable';

export interface EngineStatus {
  name: EngineName;
  state: EngineState;
  /** Model folder (sdxl) or algorithm name (classic). */
  model: string | null;
  /** Execution provider actually in use, e.g. "cpu", "cuda". */
  provider: string | null;
  /** Precision of the loaded graphs, e.g. "fp32", "fp16". */
  dtype: string | null;
  /** Why the engine is failed/unavailable, and what to do about it. */
  reason: string | null;
  /** The GPU provider self-test's verdict in one line (additive; absent on CPU and for engines without a provider). */
  providerCheck?: string;
  /** Which model it runs, once its source is resolved (additive; older services omit it). */
  identity?: ModelIdentity | null;
}

/** A model as users name it: what it is called, what it was given as, how its weights are stored. */
export interface ModelIdentity {
  name: string;
  /** An ONNX export, a diffusers folder (or Hugging Face cache entry), or a single-file checkpoint. */
  format: 'onnx' | 'diffusers' | 'single-file';
  /** Storage precision of the source weights, e.g. "fp16", "fp32", "bf16"; null for an ONNX export. */
  weights: string | null;
}

const FORMAT_WORDS: Record<ModelIdentity['format'], string> = { onnx: 'ONNX export', diffusers: 'diffusers', 'single-file': 'single file' };

/** "name (single file, fp16 weights)": how the panel and doctor name a model. */
export function describeModel(identity: ModelIdentity): string {
  return `${identity.name} (${FORMAT_WORDS[identity.format]}${identity.weights ? `, ${identity.weights} weights` : ''})`;
}

export interface QueueStatus {
  running: string | null;
  queued: number;
  capacity: number;
}

/** The engine worker thread: a crash fails the running job and restarts the worker; it is never fatal. */
export interface WorkerStatus {
  state: 'starting' | 'running' | 'restarting' | 'stopped';
  restarts: number;
  /** When and why the worker last died, or null. */
  lastCrash: string | null;
}

export interface Health {
  name: typeof SERVICE_NAME;
  version: string;
  protocol: typeof PROTOCOL_VERSION;
  engines: EngineStatus[];
  /** The engine `auto` resolves to right now, or null when none can run. */
  defaultEngine: EngineName | null;
  queue: QueueStatus;
  /** True when requests must carry `Authorization: Bearer <token>`. */
  authRequired: boolean;
  /** Engine worker health (additive; older services omit it). */
  worker?: WorkerStatus;
}

// ---------------------------------------------------------------------------------------------------------------
// Job creation: multipart/form-data with parts `params` (JSON, JobParams), `image` and `mask`.

/** Describes a raw (`application/octet-stream`) image or mask part: tightly packed 8-bit interleaved pixels. */
export interface RawPixelsInfo {
  width: number;
  height: number;
  /** image: 3 (RGB) or 4 (RGBA); mask: 1 (gray). */
  channels: 1 | 3 | 4;
}

/**
 * Where the crop sits in the client's document. The crop may have been downscaled before transfer, so the image
 * size can be smaller than `crop`; results come back at the transferred size.
 */
export interface CropPlacement {
  document: Size;
  /** The crop rectangle in document pixels. */
  crop: Rect;
  /**
   * Bounds of the area the mask covers in document pixels — the selection, grown as the client's mask settings say
   * (the service re-checks the crop rule against it, core/capture-plan).
   */
  selection: Rect;
  /** Context padding the client asked for, in pixels per side; omitted = the automatic context-crop rule. */
  contextPadding?: number;
}

export interface JobParams {
  prompt: string;
  negativePrompt?: string;
  steps?: number;
  guidance?: number;
  guidanceRescale?: number;
  strength?: number;
  /** Integer 0..2^32-1; omitted or null: the service picks one and reports it. Variation i uses seed + i. */
  seed?: number | null;
  scheduler?: SchedulerName;
  variations?: number;
  engine?: EngineChoice;
  /**
   * With engine `auto` and an empty prompt: `generate` (default, SDXL paints from the surroundings) or `remove`
   * (the classic fill removes; with a model ready, SDXL then repaints the prefilled hole at a moderate strength).
   */
  emptyPrompt?: EmptyPromptMode;
  /**
   * Soft-edge denoising (differential diffusion) for soft selections: the feathered band is generated step by
   * step instead of cross-faded. Default true; it only acts when the mask has a soft edge. SDXL only.
   */
  softInpainting?: boolean;
  /** Match the generated region's colour statistics to the unmasked ring around the selection. Default true. */
  colorMatch?: boolean;
  /** Required when the `image` part is application/octet-stream. */
  image?: RawPixelsInfo;
  /** Required when the `mask` part is application/octet-stream. */
  mask?: RawPixelsInfo;
  placement?: CropPlacement;
  /** Free-form client name for logs, e.g. "photoshop-panel/0.1.0". */
  client?: string;
}

export interface JobCreated {
  id: string;
  /** 0 = running next/now; n = n jobs ahead. */
  position: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Job status

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export type ProgressUnit = 'step' | 'pass';

export interface JobProgress {
  /** What the engine is doing: loading models, encoding, denoising steps (or fill passes), decoding. */
  phase: 'queued' | 'loading' | 'preparing' | 'denoising' | 'finishing' | 'done';
  /**
   * What `step`/`steps` count: SDXL's denoising steps, or the classic fill's PatchMatch passes (say "pass k of n").
   * Additive; absent means `step`.
   */
  unit?: ProgressUnit;
  /** Variation being denoised (0-based), or null when all variations run together in one batch. */
  variation: number | null;
  variations: number;
  step: number;
  steps: number;
  /** 0..1 over the whole job. */
  fraction: number;
  /** Seconds left, from measured step times; null until measurable. */
  etaSeconds: number | null;
  /** Denoising steps per second, measured over the job so far (additive; absent until measurable). */
  stepsPerSecond?: number;
}

export interface ResultInfo {
  index: number;
  seed: number;
  width: number;
  height: number;
}

/**
 * Codes of non-fatal job remarks: `prompt_unused` — a prompt was given but the engine that answered (classic) does
 * not read prompts; the message says how to add a model (`npx genfill model install`). `other` — anything else
 * (truncated prompt tokens, placement remarks, …); show the message.
 */
export const WARNING_CODES = ['prompt_unused', 'other'] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface JobWarning {
  code: WarningCode;
  message: string;
}

export interface JobSnapshot {
  id: string;
  state: JobState;
  /** Queue position while queued, else null. */
  position: number | null;
  engine: EngineName | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: JobProgress;
  /** Bumped whenever a new preview is available at `GET /v1/jobs/:id/preview`; 0 = none yet. */
  previewRevision: number;
  /** Finished variations; a `cancelled` job keeps (and serves) those that finished before the cancel. */
  results: ResultInfo[];
  error: ErrorInfo | null;
  /** Non-fatal remarks, e.g. how many prompt tokens were cut by the 77-token limit. */
  warnings: string[];
  /** The same remarks with a code a client can act on (additive; older services omit it). */
  warningDetails?: JobWarning[];
  /** Seed of variation 0 (the others are seed+1, seed+2, …). */
  seed: number;
  /** Working size the engine ran at. */
  workingSize: Size | null;
}

/** Server-sent events on `GET /v1/jobs/:id/events`: the event name is the `type`, the data the JSON object. */
export type JobEvent =
  | { type: 'snapshot'; job: JobSnapshot }
  | { type: 'preview'; revision: number; width: number; height: number };

// ---------------------------------------------------------------------------------------------------------------
// Routes (paths are relative to the service origin)

export const ROUTES = {
  health: '/v1/health',
  jobs: '/v1/jobs',
  job: (id: string) => `/v1/jobs/${encodeURIComponent(id)}`,
  events: (id: string) => `/v1/jobs/${encodeURIComponent(id)}/events`,
  result: (id: string, index: number) => `/v1/jobs/${encodeURIComponent(id)}/results/${index}`,
  /** A small JPEG of a result for thumbnails: the longest side at most `maxSide`, aspect kept. */
  resultThumbnail: (id: string, index: number, maxSide: number) =>
    `/v1/jobs/${encodeURIComponent(id)}/results/${index}?format=jpeg&maxSide=${maxSide}`,
  preview: (id: string) => `/v1/jobs/${encodeURIComponent(id)}/preview`,
} as const;

/** Thumbnails need no more: the panel shows them at ~100 px (×2 on HiDPI). */
export const THUMBNAIL_MAX_SIDE = 256;

/** Response headers that describe a raw result body (`?format=raw`). */
export const RAW_HEADERS = {
  width: 'x-image-width',
  height: 'x-image-height',
  channels: 'x-image-channels',
  seed: 'x-seed',
} as const;
