/** The panel's generation settings: defaults from core/params, checks before a job is sent, request params. */
import { CAPTURE_LIMITS } from '../../core/capture-plan';
import type { CaptureSettings } from '../../core/capture-plan';
import { DEFAULT_COLOR_MATCH, DEFAULT_SCHEDULER, DEFAULT_SOFT_INPAINTING, EMPTY_PROMPT_MODES, ENGINE_CHOICES, LIMITS, SCHEDULERS } from '../../core/params';
import type { EmptyPromptMode, EngineChoice, NumericLimit, SchedulerName } from '../../core/params';
import type { JobParams } from '../../core/protocol';
import type { PixelSource } from '../host/host';

export type SeedMode = 'random' | 'fixed';
/** Context padding: automatic (the context-crop rule) or `contextPadding` pixels. */
export type ContextMode = 'auto' | 'pixels';

export interface Settings {
  prompt: string;
  negativePrompt: string;
  variations: number;
  steps: number;
  guidance: number;
  strength: number;
  seedMode: SeedMode;
  seed: number;
  scheduler: SchedulerName;
  source: PixelSource;
  engine: EngineChoice;
  emptyPrompt: EmptyPromptMode;
  /** Soft-edge denoising for feathered selections (service param `softInpainting`). */
  softInpainting: boolean;
  /** Colour match to the unmasked surroundings (service param `colorMatch`). */
  colorMatch: boolean;
  contextMode: ContextMode;
  contextPadding: number;
  maskGrow: number;
  maskFeather: number;
}

export const DEFAULT_SETTINGS: Settings = {
  prompt: '',
  negativePrompt: '',
  variations: LIMITS.variations.default,
  steps: LIMITS.steps.default,
  guidance: LIMITS.guidance.default,
  strength: LIMITS.strength.default,
  seedMode: 'random',
  seed: LIMITS.seed.default,
  scheduler: DEFAULT_SCHEDULER,
  source: 'composite',
  engine: 'auto',
  emptyPrompt: 'generate',
  softInpainting: DEFAULT_SOFT_INPAINTING,
  colorMatch: DEFAULT_COLOR_MATCH,
  contextMode: 'auto',
  contextPadding: CAPTURE_LIMITS.contextPadding.default,
  maskGrow: CAPTURE_LIMITS.maskGrow.default,
  maskFeather: CAPTURE_LIMITS.maskFeather.default,
};

type NumericKey = 'variations' | 'steps' | 'guidance' | 'strength' | 'seed' | 'contextPadding' | 'maskGrow' | 'maskFeather';

/** Every numeric field with its label and limit: the checks below and the fields' input limits come from here. */
export const NUMERIC_FIELDS: Record<NumericKey, { label: string; limit: NumericLimit }> = {
  variations: { label: 'Variations', limit: LIMITS.variations },
  steps: { label: 'Steps', limit: LIMITS.steps },
  guidance: { label: 'Guidance', limit: LIMITS.guidance },
  strength: { label: 'Strength', limit: LIMITS.strength },
  seed: { label: 'Seed', limit: LIMITS.seed },
  contextPadding: { label: 'Context padding (px)', limit: CAPTURE_LIMITS.contextPadding },
  maskGrow: { label: 'Mask grow (px)', limit: CAPTURE_LIMITS.maskGrow },
  maskFeather: { label: 'Mask feather (px)', limit: CAPTURE_LIMITS.maskFeather },
};

/** The values a stored choice may take; anything else falls back to its default. */
const CHOICES: { [K in keyof Settings]?: readonly Settings[K][] } = {
  seedMode: ['random', 'fixed'],
  scheduler: SCHEDULERS,
  source: ['composite', 'layer'],
  engine: ENGINE_CHOICES,
  emptyPrompt: EMPTY_PROMPT_MODES,
  contextMode: ['auto', 'pixels'],
};

/** The settings kept between sessions: all but the prompt, which belongs to one image. */
export function persistedSettings(settings: Settings): string {
  const { prompt: _prompt, ...kept } = settings;
  return JSON.stringify(kept);
}

/**
 * Settings from `persistedSettings` output (or null): every value of the right type and, for choices, one of the
 * known ones is kept; anything else (an older or corrupt entry) is the default. Numbers are checked at Generate.
 */
export function restoreSettings(stored: string | null): Settings {
  let saved: unknown = null;
  try {
    saved = stored === null ? null : JSON.parse(stored);
  } catch {
    // A corrupt entry is as good as none.
  }
  const settings: Settings = { ...DEFAULT_SETTINGS };
  if (!saved || typeof saved !== 'object') return settings;
  const values = saved as Record<string, unknown>;
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
    const value = values[key];
    if (key === 'prompt' || typeof value !== typeof DEFAULT_SETTINGS[key]) continue;
    const choices = CHOICES[key] as readonly unknown[] | undefined;
    if (choices && !choices.includes(value)) continue;
    (settings as unknown as Record<string, unknown>)[key] = value;
  }
  return settings;
}

/** What is wrong with the settings, in the panel's words (empty = fine). Nothing is silently clamped. */
export function settingsProblems(settings: Settings): string[] {
  const problems: string[] = [];
  for (const [key, { label, limit }] of Object.entries(NUMERIC_FIELDS) as [NumericKey, (typeof NUMERIC_FIELDS)[NumericKey]][]) {
    if (key === 'seed' && settings.seedMode === 'random') continue;
    if (key === 'contextPadding' && settings.contextMode === 'auto') continue;
    const value = settings[key];
    if (!Number.isFinite(value) || value < limit.min || value > limit.max || (limit.integer && !Number.isInteger(value))) {
      const kind = limit.integer ? 'a whole number' : 'a number';
      problems.push(`${label} must be ${kind} from ${limit.min} to ${limit.max} (it is ${Number.isFinite(value) ? value : 'empty'}).`);
    }
  }
  return problems;
}

/** The request params for these settings (pixels and placement are added by the store). */
export function jobParams(settings: Settings): Omit<JobParams, 'image' | 'mask' | 'placement' | 'client'> {
  const negativePrompt = settings.negativePrompt.trim();
  return {
    prompt: settings.prompt.trim(),
    // A blank field means "no negative prompt" (SDXL then uses zero embeddings), not an encoded empty string.
    ...(negativePrompt === '' ? {} : { negativePrompt }),
    variations: settings.variations,
    steps: settings.steps,
    guidance: settings.guidance,
    strength: settings.strength,
    seed: settings.seedMode === 'fixed' ? settings.seed : null,
    scheduler: settings.scheduler,
    engine: settings.engine,
    emptyPrompt: settings.emptyPrompt,
    softInpainting: settings.softInpainting,
    colorMatch: settings.colorMatch,
  };
}

/** What the capture planner needs of the settings (core/capture-plan). */
export function captureSettings(settings: Settings): CaptureSettings {
  return {
    contextPadding: settings.contextMode === 'auto' ? 'auto' : settings.contextPadding,
    maskGrow: settings.maskGrow,
    maskFeather: settings.maskFeather,
  };
}

const NAME_PROMPT_CHARS = 40;

/** Layer name: the prompt (or what an empty prompt does) and the seed, so a variation can be found and re-made. */
export function layerName(prompt: string, seed: number): string {
  const text = prompt.trim().replace(/\s+/g, ' ');
  const shown = text.length === 0 ? 'Fill from surroundings' : text.length > NAME_PROMPT_CHARS ? `${text.slice(0, NAME_PROMPT_CHARS - 1)}…` : text;
  return `${shown} (seed ${seed})`;
}
