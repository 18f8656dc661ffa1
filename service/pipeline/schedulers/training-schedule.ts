/**
 * The training noise schedule shared by every scheduler (betas → ᾱ → σ) and the inference timestep spacings.
 * Float32 rounding follows diffusers on torch CPU (spec §7.6): torch's fp32 linspace (fp32 step, filled from both
 * ends), elementwise fp32 arithmetic, and cumprod accumulated in double but stored as fp32.
 */
import type { SchedulerConfig } from './config';

const f32 = Math.fround;

export interface TrainingSchedule {
  /** ᾱ_t = ∏ (1 − β_i), fp32, length numTrainTimesteps. */
  readonly alphasCumprod: Float32Array;
  /** σ_t = sqrt((1 − ᾱ_t)/ᾱ_t), fp32. */
  readonly sigmas: Float32Array;
  /** ln σ_t rounded to fp32, as numpy's `np.log` of the fp32 array gives. */
  readonly logSigmas: Float32Array;
}

export function trainingSchedule(config: SchedulerConfig): TrainingSchedule {
  const n = config.numTrainTimesteps;
  const betas =
    config.betaSchedule === 'scaled_linear'
      ? torchLinspaceF32(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), n).map((b) => f32(b * b))
      : torchLinspaceF32(config.betaStart, config.betaEnd, n);
  const alphasCumprod = new Float32Array(n);
  const sigmas = new Float32Array(n);
  const logSigmas = new Float32Array(n);
  let product = 1; // double accumulator, as ATen's CPU cumprod
  for (let i = 0; i < n; i++) {
    product *= f32(1 - betas[i]);
    const a = f32(product);
    alphasCumprod[i] = a;
    sigmas[i] = Math.sqrt(f32(f32(1 - a) / a));
    logSigmas[i] = Math.log(sigmas[i]);
  }
  return { alphasCumprod, sigmas, logSigmas };
}

/** torch.linspace(start, end, steps, dtype=float32) on CPU: fp32 step, first half from start, second half from end. */
export function torchLinspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  const s = f32(start);
  const e = f32(end);
  if (steps === 1) {
    out[0] = s;
    return out;
  }
  const step = f32(f32(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] = i < halfway ? s + f32(step * i) : e - f32(step * (steps - i - 1));
  }
  return out;
}

/** numpy.linspace(start, stop, num) in double. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = start + i * step;
  out[num - 1] = stop;
  return out;
}

/** numpy's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Descending inference timesteps before any rounding, as Euler's `set_timesteps` builds them ('leading' and
 * 'trailing' are whole numbers, 'linspace' is fractional). DDIM rounds these; DPM-Solver asks for count N+1.
 */
export function spacedTimesteps(config: SchedulerConfig, count: number): Float64Array {
  const train = config.numTrainTimesteps;
  const out = new Float64Array(count);
  switch (config.timestepSpacing) {
    case 'leading': {
      const ratio = Math.floor(train / count);
      for (let i = 0; i < count; i++) out[i] = (count - 1 - i) * ratio + config.stepsOffset;
      return out;
    }
    case 'linspace':
      return linspace(0, train - 1, count).reverse();
    case 'trailing': {
      const ratio = train / count;
      for (let i = 0; i < count; i++) out[i] = roundHalfEven(train - i * ratio) - 1;
      return out;
    }
  }
}

/** numpy.interp(t, arange(len(ys)), ys) for t inside [0, len−1]. */
export function interpolate(ys: Float32Array, t: number): number {
  const low = Math.min(Math.floor(t), ys.length - 1);
  const w = t - low;
  return w === 0 ? ys[low] : ys[low] + w * (ys[low + 1] - ys[low]);
}
