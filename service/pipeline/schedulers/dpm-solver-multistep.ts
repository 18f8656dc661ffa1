/**
 * DPM-Solver++(2M): diffusers `DPMSolverMultistepScheduler` with its defaults (solver_order 2, algorithm_type
 * "dpmsolver++", solver_type "midpoint", lower_order_final, final σ = 0), and the `use_karras_sigmas` variant
 * ("DPM++ 2M Karras"). Latents live in VP space: x = α·x0 + s·ε with α = 1/sqrt(σ²+1), s = σ·α.
 *
 * Stateful: a second-order step needs the previous step's x0 prediction, so use one instance per denoising run.
 */
import type { SchedulerName } from '../../../core/params';
import { checkSameLength, checkStepIndex } from './checks';
import type { SchedulerConfig } from './config';
import { karrasSigmas, sigmaToTimestep } from './karras';
import type { Scheduler } from './scheduler';
import { interpolate, roundHalfEven, spacedTimesteps, trainingSchedule } from './training-schedule';

/** The update x_next = toX·x + toD0·D0 + toD1·D1 with the x0 estimate m = (x − s_i·ε)·invAlpha. */
interface StepCoefficients {
  /** 1/α(σ_i) and s(σ_i), for the x0 estimate. */
  invAlpha: number;
  noiseScale: number;
  /** s_t/s_s. */
  toX: number;
  /** −α_t·(e^{−h} − 1). */
  toD0: number;
  /** Second order only: −0.5·α_t·(e^{−h} − 1)/r0, applied to m0 − m1. 0 for first-order steps. */
  toDifference: number;
}

export class DpmSolverMultistepScheduler implements Scheduler {
  readonly name: SchedulerName;
  readonly timesteps: Float32Array;
  readonly sigmas: Float32Array;
  readonly initNoiseSigma = 1;
  readonly needsNoise = false;
  private readonly firstOrder: StepCoefficients[];
  private readonly secondOrder: StepCoefficients[];
  /** x0 prediction of the previous step and that step's index (−1: none yet). */
  private previousX0: Float32Array | null = null;
  private previousStepIndex = -1;

  constructor(config: SchedulerConfig, steps: number, karras: boolean) {
    this.name = karras ? 'dpmpp_2m_karras' : 'dpmpp_2m';
    const training = trainingSchedule(config);
    let timesteps: Float64Array;
    let sigmas: Float64Array;
    if (karras) {
      // Over the full training range (unlike Euler Karras), and the timesteps are rounded to integers.
      const train = training.sigmas;
      sigmas = karrasSigmas(train[0], train[train.length - 1], steps);
      timesteps = sigmas.map((s) => roundHalfEven(sigmaToTimestep(s, training.logSigmas)));
    } else {
      // 'leading' and 'linspace' space N+1 points and drop the last (t≈0); 'trailing' spaces N.
      timesteps =
        config.timestepSpacing === 'trailing'
          ? spacedTimesteps(config, steps)
          : spacedTimesteps(config, steps + 1).subarray(0, steps);
      timesteps = timesteps.map(roundHalfEven);
      sigmas = timesteps.map((t) => interpolate(training.sigmas, t));
    }
    this.timesteps = Float32Array.from(timesteps);
    this.sigmas = new Float32Array(steps + 1);
    this.sigmas.set(sigmas);
    this.firstOrder = [];
    this.secondOrder = [];
    for (let i = 0; i < steps; i++) {
      this.firstOrder.push(this.coefficients(i, false));
      this.secondOrder.push(this.coefficients(i, i > 0 && i < steps - 1));
    }
  }

  scaleModelInput(sample: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(this.name, stepIndex, this.timesteps.length);
    checkSameLength(this.name, sample, { out });
    out.set(sample);
  }

  /**
   * The first step of a run, and the last step (lower_order_final), are first order; the others use the previous
   * x0 prediction. A step whose index is at or before the previous one starts a new run (e.g. the next variation).
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): void {
    checkStepIndex(this.name, stepIndex, this.timesteps.length);
    checkSameLength(this.name, sample, { modelOutput });
    const previous = this.previousX0;
    const continues = previous !== null && stepIndex === this.previousStepIndex + 1;
    if (previous !== null && stepIndex > this.previousStepIndex + 1) {
      throw new Error(`${this.name}: step ${stepIndex} follows step ${this.previousStepIndex}; steps cannot be skipped`);
    }
    if (previous !== null && previous.length !== sample.length) {
      throw new Error(`${this.name}: sample has ${sample.length} values, the previous step had ${previous.length}`);
    }
    const x0 = previous ?? new Float32Array(sample.length);
    const c = continues ? this.secondOrder[stepIndex] : this.firstOrder[stepIndex];
    const { invAlpha, noiseScale, toX, toD0, toDifference } = c;
    if (toDifference === 0) {
      for (let i = 0; i < sample.length; i++) {
        const m0 = (sample[i] - noiseScale * modelOutput[i]) * invAlpha;
        sample[i] = toX * sample[i] + toD0 * m0;
        x0[i] = m0;
      }
    } else {
      // x0 is updated in place: each element's previous value (m1) is read before its new value (m0) is stored.
      for (let i = 0; i < sample.length; i++) {
        const m0 = (sample[i] - noiseScale * modelOutput[i]) * invAlpha;
        sample[i] = toX * sample[i] + toD0 * m0 + toDifference * (m0 - x0[i]);
        x0[i] = m0;
      }
    }
    this.previousX0 = x0;
    this.previousStepIndex = stepIndex;
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(this.name, stepIndex, this.timesteps.length);
    checkSameLength(this.name, original, { noise, out });
    const { alpha, scale } = vpCoefficients(this.sigmas[stepIndex]);
    for (let i = 0; i < original.length; i++) out[i] = alpha * original[i] + scale * noise[i];
  }

  /** Per-step constants, computed once (in double from the fp32 sigmas). */
  private coefficients(i: number, secondOrder: boolean): StepCoefficients {
    const s0 = vpCoefficients(this.sigmas[i]);
    const t = vpCoefficients(this.sigmas[i + 1]);
    // λ = ln α − ln s. At the final σ = 0, λ_t = +∞ and e^{−h} = 0, so x_next = m0 (no NaN: 0·x, not 0/0).
    const lambdaT = Math.log(t.alpha) - Math.log(t.scale);
    const lambdaS0 = Math.log(s0.alpha) - Math.log(s0.scale);
    const h = lambdaT - lambdaS0;
    const toD0 = -t.alpha * (Math.exp(-h) - 1);
    let toDifference = 0;
    if (secondOrder) {
      const s1 = vpCoefficients(this.sigmas[i - 1]);
      const lambdaS1 = Math.log(s1.alpha) - Math.log(s1.scale);
      const r0 = (lambdaS0 - lambdaS1) / h;
      // Midpoint: x_next = … − α_t(e^{−h}−1)·D0 − 0.5·α_t(e^{−h}−1)·D1, with D1 = (m0 − m1)/r0.
      toDifference = (0.5 * toD0) / r0;
    }
    return {
      invAlpha: 1 / s0.alpha,
      noiseScale: s0.scale,
      toX: t.scale / s0.scale,
      toD0,
      toDifference,
    };
  }
}

/** α(σ) = 1/sqrt(σ²+1) and s(σ) = σ·α(σ): the VP signal and noise scales for a VE sigma. */
function vpCoefficients(sigma: number): { alpha: number; scale: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return { alpha, scale: sigma * alpha };
}
