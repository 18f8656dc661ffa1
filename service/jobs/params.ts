/**
 * Validation of the `params` part against LIMITS (core/params), with the offending field named in the error
 * ("params.steps"). Produces fully resolved parameters: defaults applied, a random seed drawn when none was given.
 */
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { CAPTURE_LIMITS } from '../../core/capture-plan';
import { clip, excerpt, GenfillError } from '../../core/errors';
import {
  DEFAULT_COLOR_MATCH,
  DEFAULT_SCHEDULER,
  DEFAULT_SOFT_INPAINTING,
  EMPTY_PROMPT_MODES,
  ENGINE_CHOICES,
  INPUT_LIMITS,
  LIMITS,
  SCHEDULERS,
  type EmptyPromptMode,
  type EngineChoice,
  type NumericLimit,
} from '../../core/params';
import type { CropPlacement, JobParams, RawPixelsInfo } from '../../core/protocol';
import type { GenerationSettings } from '../engine-io';
import { stepsForStrength } from '../pipeline/schedulers';

function limited(limit: NumericLimit) {
  const base = z.number({ error: 'must be a number' });
  return (limit.integer ? base.int({ error: 'must be an integer' }) : base)
    .min(limit.min, { error: `must be at least ${limit.min}` })
    .max(limit.max, { error: `must be at most ${limit.max}` });
}

const dimension = z.number().int({ error: 'must be an integer' }).min(1, { error: 'must be at least 1' });

const rawInfo = z.strictObject({
  width: dimension,
  height: dimension,
  channels: z.union([z.literal(1), z.literal(3), z.literal(4)], { error: 'must be 1, 3 or 4' }),
});

const rect = z.strictObject({ x: z.number().int(), y: z.number().int(), width: dimension, height: dimension });
const size = z.strictObject({ width: dimension, height: dimension });

const paramsSchema = z.strictObject({
  prompt: z.string({ error: 'must be a string' }).max(INPUT_LIMITS.promptChars, {
    error: `must be at most ${INPUT_LIMITS.promptChars} characters`,
  }),
  negativePrompt: z.string().max(INPUT_LIMITS.promptChars, { error: `must be at most ${INPUT_LIMITS.promptChars} characters` }).optional(),
  steps: limited(LIMITS.steps).optional(),
  guidance: limited(LIMITS.guidance).optional(),
  guidanceRescale: limited(LIMITS.guidanceRescale).optional(),
  strength: limited(LIMITS.strength).optional(),
  seed: limited(LIMITS.seed).nullable().optional(),
  scheduler: z.enum(SCHEDULERS, { error: `must be one of ${SCHEDULERS.join(', ')}` }).optional(),
  variations: limited(LIMITS.variations).optional(),
  engine: z.enum(ENGINE_CHOICES, { error: `must be one of ${ENGINE_CHOICES.join(', ')}` }).optional(),
  emptyPrompt: z.enum(EMPTY_PROMPT_MODES, { error: `must be one of ${EMPTY_PROMPT_MODES.join(', ')}` }).optional(),
  softInpainting: z.boolean({ error: 'must be true or false' }).optional(),
  colorMatch: z.boolean({ error: 'must be true or false' }).optional(),
  image: rawInfo.optional(),
  mask: rawInfo.optional(),
  placement: z.strictObject({ document: size, crop: rect, selection: rect, contextPadding: limited(CAPTURE_LIMITS.contextPadding).optional() }).optional(),
  client: z.string().max(200).optional(),
});

/** JobParams with every default applied and the seed decided. */
export interface ResolvedParams extends GenerationSettings {
  seed: number;
  /** True when the service drew the seed. */
  randomSeed: boolean;
  variations: number;
  engine: EngineChoice;
  emptyPrompt: EmptyPromptMode;
  /** Soft-edge denoising for feathered selections (SDXL). */
  softInpainting: boolean;
  /** Colour match of the generated region to its surroundings (SDXL). */
  colorMatch: boolean;
  image: RawPixelsInfo | undefined;
  mask: RawPixelsInfo | undefined;
  placement: CropPlacement | undefined;
  client: string | undefined;
}

/** Validates client-supplied params (already JSON-parsed). Throws GenfillError('invalid_params', …, 'params.x'). */
export function resolveParams(input: unknown, drawSeed: () => number = randomSeed): ResolvedParams {
  const parsed = paramsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') path.push(issue.keys[0]);
    const field = ['params', ...path].join('.');
    let value: unknown = input;
    for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
    const shown = issue.code === 'unrecognized_keys' ? 'unknown field' : `${issue.message}${value === undefined ? '' : ` (got ${excerpt(value)})`}`;
    throw new GenfillError('invalid_params', `${clip(field, 120)}: ${shown}`, clip(field, 120));
  }
  const p: JobParams = parsed.data;
  const seed = p.seed ?? null;
  return {
    prompt: p.prompt,
    negativePrompt: p.negativePrompt,
    steps: p.steps ?? LIMITS.steps.default,
    guidance: p.guidance ?? LIMITS.guidance.default,
    guidanceRescale: p.guidanceRescale ?? LIMITS.guidanceRescale.default,
    strength: p.strength ?? LIMITS.strength.default,
    seed: seed ?? drawSeed(),
    randomSeed: seed === null,
    scheduler: p.scheduler ?? DEFAULT_SCHEDULER,
    variations: p.variations ?? LIMITS.variations.default,
    engine: p.engine ?? 'auto',
    emptyPrompt: p.emptyPrompt ?? 'generate',
    softInpainting: p.softInpainting ?? DEFAULT_SOFT_INPAINTING,
    colorMatch: p.colorMatch ?? DEFAULT_COLOR_MATCH,
    image: p.image,
    mask: p.mask,
    placement: p.placement,
    client: p.client,
  };
}

/**
 * For SDXL: diffusers runs `int(steps × strength)` denoising steps and raises when that is 0 — refused at submit
 * rather than failing mid-job. (The classic engine has no steps to skip.)
 */
export function checkDenoisingSteps({ steps, strength }: { steps: number; strength: number }): void {
  try {
    stepsForStrength(steps, strength);
  } catch {
    throw new GenfillError(
      'invalid_params',
      `params.steps × params.strength must run at least one denoising step, but int(${steps} × ${strength}) = 0; ` +
        `raise params.steps to ${Math.ceil(1 / strength)} or params.strength to ${Math.ceil(100 / steps) / 100}`,
      'params.strength',
    );
  }
}

/** Deepest nesting of objects and arrays accepted in `params` (the schema needs 3). */
export const MAX_PARAMS_DEPTH = 16;

/**
 * Nesting depth of a JSON text, counting only brackets outside strings; stops at `limit + 1`. Run before JSON.parse
 * so a deeply nested text is refused without building it (and without anything later recursing into it).
 */
export function jsonNestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      deepest = Math.max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** Parses the `params` part text; malformed or too deeply nested JSON is a 400 naming the part. */
export function parseParamsJson(text: string): unknown {
  if (jsonNestingDepth(text, MAX_PARAMS_DEPTH) > MAX_PARAMS_DEPTH) {
    throw new GenfillError('invalid_params', `params: nested deeper than ${MAX_PARAMS_DEPTH} levels of objects and arrays`, 'params');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around the error; keep the message short.
    throw new GenfillError('invalid_params', `params: not valid JSON (${clip((error as Error).message, 120)})`, 'params');
  }
}

export function randomSeed(): number {
  return randomInt(0, LIMITS.seed.max + 1);
}

/** Variation i uses seed + i, wrapped into the 32-bit seed range. */
export function variationSeeds(seed: number, variations: number): number[] {
  return Array.from({ length: variations }, (_, i) => (seed + i) % (LIMITS.seed.max + 1));
}
