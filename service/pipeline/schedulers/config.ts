/**
 * The scheduler configuration: diffusers' `scheduler/scheduler_config.json` translated to a typed object at the edge.
 * Only the values this code implements are accepted; anything else fails loudly with every offending key named.
 */

export type TimestepSpacing = 'leading' | 'linspace' | 'trailing';

export interface SchedulerConfig {
  /** Length of the training schedule (diffusers default 1000). */
  numTrainTimesteps: number;
  /** β at the first and last training step (EulerDiscrete defaults 0.0001 / 0.02; SDXL 0.00085 / 0.012). */
  betaStart: number;
  betaEnd: number;
  /** 'scaled_linear' interpolates √β linearly, 'linear' interpolates β (EulerDiscrete default 'linear'). */
  betaSchedule: 'scaled_linear' | 'linear';
  predictionType: 'epsilon';
  /** How inference timesteps are spread over the training range (EulerDiscrete default 'linspace'; SDXL 'leading'). */
  timestepSpacing: TimestepSpacing;
  /** Added to 'leading' timesteps (default 0; SDXL 1). */
  stepsOffset: number;
  /** DDIM only: clamp the x0 prediction to ±clipSampleRange (DDIM class default true; SDXL ships false). */
  clipSample: boolean;
  /** DDIM only (default 1). */
  clipSampleRange: number;
  /** DDIM only: ᾱ after the last step is 1 (DDIM class default true) or ᾱ[0] (SDXL ships false). */
  setAlphaToOne: boolean;
}

/** §1.2 of the spec: the SDXL base / inpainting `scheduler_config.json`. */
export const SDXL_SCHEDULER_CONFIG: SchedulerConfig = Object.freeze({
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  predictionType: 'epsilon',
  timestepSpacing: 'leading',
  stepsOffset: 1,
  clipSample: false,
  clipSampleRange: 1,
  setAlphaToOne: false,
});

/**
 * Keys that change the math, with the only value we implement. A missing key means the class default, which is this
 * value. Keys not listed (`_class_name`, `skip_prk_steps`, `sample_max_value`, …) do not affect these schedulers.
 * `use_karras_sigmas` / `use_exponential_sigmas` / `use_beta_sigmas` are ignored on purpose: the sigma spacing is
 * chosen by the scheduler name (A1111 style), not by the model's file.
 */
const FIXED_VALUES: Record<string, unknown> = {
  trained_betas: null,
  interpolation_type: 'linear',
  timestep_type: 'discrete',
  final_sigmas_type: 'zero',
  rescale_betas_zero_snr: false,
  sigma_min: null,
  sigma_max: null,
  thresholding: false,
  // DPMSolverMultistep keys, in case a DPM config is supplied.
  solver_order: 2,
  algorithm_type: 'dpmsolver++',
  solver_type: 'midpoint',
  lower_order_final: true,
  euler_at_final: false,
  use_lu_lambdas: false,
  variance_type: null,
};

const BETA_SCHEDULES = ['scaled_linear', 'linear'] as const;
const SPACINGS = ['leading', 'linspace', 'trailing'] as const;

/**
 * Parses scheduler/scheduler_config.json (snake_case keys, class defaults for missing keys); throws an Error naming
 * every unsupported value (e.g. prediction_type "v_prediction", rescale_betas_zero_snr true).
 */
export function parseSchedulerConfig(json: unknown): SchedulerConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`scheduler config must be a JSON object, got ${describe(json)}`);
  }
  const raw = json as Record<string, unknown>;
  const problems: string[] = [];
  const read = <T>(key: string, fallback: T, valid: (v: unknown) => v is T, expected: string): T => {
    const value = raw[key];
    if (value === undefined) return fallback;
    if (valid(value)) return value;
    problems.push(`${key} ${describe(value)} is not supported (expected ${expected})`);
    return fallback;
  };

  const config: SchedulerConfig = {
    numTrainTimesteps: read('num_train_timesteps', 1000, isPositiveInteger, 'a positive integer'),
    betaStart: read('beta_start', 0.0001, isUnitFraction, 'a number in (0, 1)'),
    betaEnd: read('beta_end', 0.02, isUnitFraction, 'a number in (0, 1)'),
    betaSchedule: read('beta_schedule', 'linear', oneOf(BETA_SCHEDULES), oneOfText(BETA_SCHEDULES)),
    predictionType: read('prediction_type', 'epsilon', oneOf(['epsilon'] as const), '"epsilon"'),
    timestepSpacing: read('timestep_spacing', 'linspace', oneOf(SPACINGS), oneOfText(SPACINGS)),
    stepsOffset: read('steps_offset', 0, isNonNegativeInteger, 'a non-negative integer'),
    clipSample: read('clip_sample', true, isBoolean, 'true or false'),
    clipSampleRange: read('clip_sample_range', 1, isPositiveNumber, 'a positive number'),
    setAlphaToOne: read('set_alpha_to_one', true, isBoolean, 'true or false'),
  };
  if (config.betaStart >= config.betaEnd) {
    problems.push(`beta_start ${config.betaStart} must be below beta_end ${config.betaEnd}`);
  }
  for (const [key, supported] of Object.entries(FIXED_VALUES)) {
    const value = raw[key];
    if (value !== undefined && value !== supported) {
      problems.push(`${key} ${describe(value)} is not supported (only ${JSON.stringify(supported)})`);
    }
  }
  if (problems.length > 0) throw new Error(`unsupported scheduler config: ${problems.join('; ')}`);
  return config;
}

function describe(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function isPositiveInteger(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) > 0;
}

function isNonNegativeInteger(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0;
}

function isPositiveNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

function isUnitFraction(v: unknown): v is number {
  return typeof v === 'number' && v > 0 && v < 1;
}

function isBoolean(v: unknown): v is boolean {
  return typeof v === 'boolean';
}

function oneOf<const T extends readonly string[]>(values: T): (v: unknown) => v is T[number] {
  return (v: unknown): v is T[number] => typeof v === 'string' && values.includes(v);
}

function oneOfText(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(' or ');
}
