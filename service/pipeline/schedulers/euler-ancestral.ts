/**
 * Euler ancestral ("Euler a"): diffusers `EulerAncestralDiscreteScheduler`. Each step goes down to σ_down with Euler,
 * then adds fresh noise of size σ_up, so σ_down² + σ_up² = σ_{i+1}². Latents live in VE space: x = x0 + σ·ε.
 * Timesteps, sigmas, c_in and add_noise are Euler's (copied from euler.ts, without the Karras option).
 */
import type { SchedulerName } from '../../../core/params';
import { checkSameLength, checkStepIndex } from './checks';
import type { SchedulerConfig } from './config';
import type { Scheduler } from './scheduler';
import { interpolate, spacedTimesteps, trainingSchedule } from './training-schedule';

const f32 = Math.fround;

export class EulerAncestralScheduler implements Scheduler {
  readonly name: SchedulerName = 'euler_a';
  readonly timesteps: Float32Array;
  readonly sigmas: Float32Array;
  readonly initNoiseSigma: number;
  readonly needsNoise = true;
  private readonly inputDivisors: Float32Array;
  /** σ_down − σ_i per step: the deterministic part of the move. */
  private readonly drifts: Float64Array;
  /** σ_up per step: the standard deviation of the fresh noise. */
  private readonly noiseScales: Float64Array;

  constructor(config: SchedulerConfig, steps: number) {
    const training = trainingSchedule(config);
    const spaced = spacedTimesteps(config, steps);
    this.timesteps = Float32Array.from(spaced);
    this.sigmas = new Float32Array(steps + 1);
    this.sigmas.set(spaced.map((t) => interpolate(training.sigmas, t)));
    const maxSigma = Math.max(...this.sigmas);
    this.initNoiseSigma =
      config.timestepSpacing === 'leading' ? f32(Math.sqrt(f32(f32(maxSigma * maxSigma) + 1))) : maxSigma;
    this.inputDivisors = this.sigmas.map((s) => Math.sqrt(f32(f32(s * s) + 1)));
    this.drifts = new Float64Array(steps);
    this.noiseScales = new Float64Array(steps);
    for (let i = 0; i < steps; i++) {
      const from = this.sigmas[i];
      const to = this.sigmas[i + 1];
      const up = Math.sqrt((to * to * (from * from - to * to)) / (from * from));
      const down = Math.sqrt(Math.max(to * to - up * up, 0));
      this.drifts[i] = down - from;
      this.noiseScales[i] = up;
    }
  }

  scaleModelInput(sample: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(this.name, stepIndex, this.timesteps.length);
    checkSameLength(this.name, sample, { out });
    const divisor = this.inputDivisors[stepIndex];
    for (let i = 0; i < sample.length; i++) out[i] = sample[i] / divisor;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): void {
    checkStepIndex(this.name, stepIndex, this.timesteps.length);
    if (noise === undefined) throw new Error(`${this.name}: step ${stepIndex} needs fresh noise, none was given`);
    checkSameLength(this.name, sample, { modelOutput, noise });
    // d = (x − x0)/σ_i = ε, as in Euler.
    const drift = this.drifts[stepIndex];
    const up = this.noiseScales[stepIndex];
    for (let i = 0; i < sample.length; i++) sample[i] += modelOutput[i] * drift + noise[i] * up;
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(this.name, stepIndex, this.timesteps.length);
    checkSameLength(this.name, original, { noise, out });
    const sigma = this.sigmas[stepIndex];
    for (let i = 0; i < original.length; i++) out[i] = original[i] + noise[i] * sigma;
  }
}
