/**
 * Scheduler lookup by name and diffusers' strength → step-range rule. Adding a scheduler = one file + one table row.
 */
import type { SchedulerName } from '../../../core/params';
import type { SchedulerConfig } from './config';
import { DdimScheduler } from './ddim';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep';
import { EulerScheduler } from './euler';
import { EulerAncestralScheduler } from './euler-ancestral';
import type { Scheduler } from './scheduler';

export type { Scheduler } from './scheduler';
export type { SchedulerConfig, TimestepSpacing } from './config';
export { parseSchedulerConfig, SDXL_SCHEDULER_CONFIG } from './config';

type SchedulerFactory = (config: SchedulerConfig, steps: number) => Scheduler;

const FACTORIES: Record<SchedulerName, SchedulerFactory> = {
  euler: (config, steps) => new EulerScheduler(config, steps, false),
  euler_karras: (config, steps) => new EulerScheduler(config, steps, true),
  euler_a: (config, steps) => new EulerAncestralScheduler(config, steps),
  dpmpp_2m: (config, steps) => new DpmSolverMultistepScheduler(config, steps, false),
  dpmpp_2m_karras: (config, steps) => new DpmSolverMultistepScheduler(config, steps, true),
  ddim: (config, steps) => new DdimScheduler(config, steps),
};

/** A scheduler set up for `steps` inference steps (diffusers' constructor + `set_timesteps`). */
export function createScheduler(name: SchedulerName, config: SchedulerConfig, steps: number): Scheduler {
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (factory === undefined) {
    throw new Error(`unknown scheduler ${JSON.stringify(name)} (expected one of ${Object.keys(FACTORIES).join(', ')})`);
  }
  if (!Number.isInteger(steps) || steps < 1 || steps > config.numTrainTimesteps) {
    throw new Error(`steps ${steps} must be an integer from 1 to ${config.numTrainTimesteps} (the training steps)`);
  }
  return factory(config, steps);
}

/** diffusers get_timesteps: init = min(trunc(N*strength), N); start = max(N-init, 0); throws if N-start < 1. */
export function stepsForStrength(steps: number, strength: number): { startIndex: number; stepsToRun: number } {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps ${steps} must be a positive integer`);
  if (!(strength >= 0 && strength <= 1)) throw new Error(`strength ${strength} must be between 0 and 1`);
  const initSteps = Math.min(Math.trunc(steps * strength), steps);
  const startIndex = Math.max(steps - initSteps, 0);
  const stepsToRun = steps - startIndex;
  if (stepsToRun < 1) {
    throw new Error(
      `strength ${strength} with ${steps} steps runs no denoising step (trunc(${steps}·${strength}) = 0); ` +
        'raise the strength or the number of steps',
    );
  }
  return { startIndex, stepsToRun };
}
