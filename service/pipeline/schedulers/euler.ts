/**
 * Euler (Karras et al. 2022, Algorithm 2 with s_churn = 0): diffusers `EulerDiscreteScheduler`, the model's default,
 * and its `use_karras_sigmas` variant ("Euler Karras"). Latents live in VE space: x = x0 + σ·ε.
 * Per-element math is done in double and stored as float32 (diffusers rounds every tensor op to fp32; the results
 * differ by about one float32 ulp).
 */
import type { SchedulerName } from '../../../core/params';
import { checkSameLength, checkStepIndex } from './checks';
import type { SchedulerConfig } from './config';
import { karrasSigmas, sigmaToTimestep } from './karras';
import type { Scheduler } from './scheduler';
import { interpolate, spacedTimesteps, trainingSchedule } from './training-schedule';

const f32 = Math.fround;

export class EulerScheduler implements Scheduler {
  readonly name: SchedulerName;
  readonly timesteps: Float32Array;
  readonly sigmas: Float32Array;
  readonly initNoiseSigma: number;
  readonly needsNoise = false;
  /** sqrt(σ_i² + 1) per step, in fp32 like diffusers' scale_model_input. */
  private readonly inputDivisors: Float32Array;

  constructor(config: SchedulerConfig, steps: number, karras: boolean) {
    this.name = karras ? 'euler_karras' : 'euler';
    const training = trainingSchedule(config);
    const spaced = spacedTimesteps(config, steps);
    let sigmas: Float64Array = spaced.map((t) => interpolate(training.sigmas, t));
    let timesteps: Float64Array = spaced;
    if (karras) {
      // The ends of the *spaced* schedule (σ at t=1 for 'leading', not at t=0); timesteps stay fractional.
      sigmas = karrasSigmas(sigmas[steps - 1], sigmas[0], steps);
      timesteps = sigmas.map((s) => sigmaToTimestep(s, training.logSigmas));
    }
    this.timesteps = Float32Array.from(timesteps);
    this.sigmas = new Float32Array(steps + 1);
    this.sigmas.set(sigmas);
    const maxSigma = Math.max(...this.sigmas);
    this.initNoiseSigma =
      config.timestepSpacing === 'leading' ? f32(Math.sqrt(f32(f32(maxSigma * maxSigma) + 1))) : maxSigma;
    this.inputDivisors = this.sigmas.map((s) => Math.sqrt(f32(f32(s * s) + 1)));
  }

  scaleModelInput(sample: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(this.name, stepIndex, this.timesteps.length);
    checkSameLength(this.name, sample, { out });
    const divisor = this.inputDivisors[stepIndex];
    for (let i = 0; i < sample.length; i++) out[i] = sample[i] / divisor;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): void {
    checkStepIndex(this.name, stepIndex, this.timesteps.length);
    checkSameLength(this.name, sample, { modelOutput });
    // x0 = x − σ_i·ε, d = (x − x0)/σ_i = ε, x_next = x + d·(σ_{i+1} − σ_i): the x0 round trip cancels exactly.
    const dt = this.sigmas[stepIndex + 1] - this.sigmas[stepIndex];
    for (let i = 0; i < sample.length; i++) sample[i] += modelOutput[i] * dt;
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(this.name, stepIndex, this.timesteps.length);
    checkSameLength(this.name, original, { noise, out });
    const sigma = this.sigmas[stepIndex];
    for (let i = 0; i < original.length; i++) out[i] = original[i] + noise[i] * sigma;
  }
}
