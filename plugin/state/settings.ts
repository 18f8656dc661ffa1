/** The panel's generation settings: defaults from core/params, checks before a job is sent, request params. */
import { DEFAULT_SCHEDULER, LIMITS } from '../../core/params';
import type { EmptyPromptMode, EngineChoice, NumericLimit, SchedulerName } from '../../core/params';
import type { JobParams } from '../../core/protocol';
import type { PixelSource } from '../host/host';

export type SeedMode = 'random' | 'fixed';

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
};

const NUMERIC_FIELDS: { key: 'variations' | 'steps' | 'guidance' | 'strength' | 'seed'; label: string; limit: NumericLimit }[] = [
  { key: 'variations', label: 'Variations', limit: LIMITS.variations },
  { key: 'steps', label: 'Steps', limit: LIMITS.steps },
  { key: 'guidance', label: 'Guidance', limit: LIMITS.guidance },
  { key: 'strength', label: 'Strength', limit: LIMITS.strength },
  { key: 'seed', label: 'Seed', limit: LIMITS.seed },
];

/** What is wrong with the settings, in the panel's words (empty = fine). Nothing is silently clamped. */
export function settingsProblems(settings: Settings): string[] {
  const problems: string[] = [];
  for (const { key, label, limit } of NUMERIC_FIELDS) {
    if (key === 'seed' && settings.seedMode === 'random') continue;
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
  };
}

const NAME_PROMPT_CHARS = 40;

/** Layer name: the prompt (or what an empty prompt does) and the seed, so a variation can be found and re-made. */
export function layerName(prompt: string, seed: number): string {
  const text = prompt.trim().replace(/\s+/g, ' ');
  const shown = text.length === 0 ? 'Fill from surroundings' : text.length > NAME_PROMPT_CHARS ? `${text.slice(0, NAME_PROMPT_CHARS - 1)}…` : text;
  return `${shown} (seed ${seed})`;
}
