/**
 * The surface every scheduler shares. Schedulers are built for a fixed step count (the constructor does diffusers'
 * `set_timesteps`), take the step index as an argument (no hidden step counter) and work on flat float32 latents.
 */
import type { SchedulerName } from '../../../core/params';

export interface Scheduler {
  readonly name: SchedulerName;
  /** Length N; what the UNet receives as `timestep` (fractional for euler_karras). */
  readonly timesteps: Float32Array;
  /** Length N+1, ends with 0 (DDIM: the equivalent sqrt((1-ᾱ)/ᾱ) at each timestep, for previews). */
  readonly sigmas: Float32Array;
  /** Factor for pure-noise initial latents (strength 1). */
  readonly initNoiseSigma: number;
  /** True when step() consumes fresh noise (euler_a). */
  readonly needsNoise: boolean;
  /** c_in scaling of the noisy latents for the UNet, written into `out` (a separate array of the same length). */
  scaleModelInput(sample: Float32Array, stepIndex: number, out: Float32Array): void;
  /**
   * Updates `sample` in place to x_{t-1}. stepIndex indexes timesteps (absolute, i.e. startIndex + i). `noise`
   * (same length as sample, standard normal) is required iff needsNoise. Stateful schedulers (DPM++ 2M keeps the
   * previous x0 prediction) keep that state per instance: one instance per job (or per variation).
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): void;
  /** Initial latents for strength < 1: writes add_noise(original, noise, timesteps[stepIndex]) into out. */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number, out: Float32Array): void;
}
