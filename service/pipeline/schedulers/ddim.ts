/**
 * DDIM with eta = 0 (deterministic): diffusers `DDIMScheduler` built from the model's config (SDXL: clip_sample false,
 * set_alpha_to_one false, so the last step lands on ᾱ[0], not on ᾱ = 1). Latents live in VP space:
 * x = sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·ε. DDIM has no begin index: add_noise uses ᾱ at timesteps[stepIndex].
 */
import type { SchedulerName } from '../../../core/params';
import { checkSameLength, checkStepIndex } from './checks';
import type { SchedulerConfig } from './config';
import type { Scheduler } from './scheduler';
import { roundHalfEven, spacedTimesteps, trainingSchedule } from './training-schedule';

/** sqrt(ᾱ) and sqrt(1−ᾱ) of one training timestep. */
interface VpScales {
  signal: number;
  noise: number;
}

export class DdimScheduler implements Scheduler {
  readonly name: SchedulerName = 'ddim';
  readonly timesteps: Float32Array;
  readonly sigmas: Float32Array;
  readonly initNoiseSigma = 1;
  readonly needsNoise = false;
  private readonly clipRange: number;
  private readonly current: VpScales[];
  private readonly previous: VpScales[];

  constructor(config: SchedulerConfig, steps: number) {
    const training = trainingSchedule(config);
    const alphas = training.alphasCumprod;
    const timesteps = spacedTimesteps(config, steps).map(roundHalfEven);
    this.timesteps = Float32Array.from(timesteps);
    this.sigmas = new Float32Array(steps + 1);
    this.sigmas.set(timesteps.map((t) => training.sigmas[t]));
    this.clipRange = config.clipSample ? config.clipSampleRange : Infinity;
    const finalAlpha = config.setAlphaToOne ? 1 : alphas[0];
    // diffusers steps back by train/N whatever the spacing.
    const stride = Math.floor(config.numTrainTimesteps / steps);
    this.current = [];
    this.previous = [];
    for (const t of timesteps) {
      const prev = t - stride;
      this.current.push(vpScales(alphas[t]));
      this.previous.push(vpScales(prev >= 0 ? alphas[prev] : finalAlpha));
    }
  }

  scaleModelInput(sample: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(this.name, stepIndex, this.timesteps.length);
    checkSameLength(this.name, sample, { out });
    out.set(sample);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): void {
    checkStepIndex(this.name, stepIndex, this.timesteps.length);
    checkSameLength(this.name, sample, { modelOutput });
    const now = this.current[stepIndex];
    const next = this.previous[stepIndex];
    const invSignal = 1 / now.signal;
    const clip = this.clipRange;
    for (let i = 0; i < sample.length; i++) {
      const eps = modelOutput[i];
      let x0 = (sample[i] - now.noise * eps) * invSignal;
      if (x0 > clip) x0 = clip;
      else if (x0 < -clip) x0 = -clip;
      sample[i] = next.signal * x0 + next.noise * eps;
    }
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(this.name, stepIndex, this.timesteps.length);
    checkSameLength(this.name, original, { noise, out });
    const { signal, noise: noiseScale } = this.current[stepIndex];
    for (let i = 0; i < original.length; i++) out[i] = signal * original[i] + noiseScale * noise[i];
  }
}

function vpScales(alphaCumprod: number): VpScales {
  return { signal: Math.sqrt(alphaCumprod), noise: Math.sqrt(1 - alphaCumprod) };
}
