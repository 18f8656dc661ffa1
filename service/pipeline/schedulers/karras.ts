/**
 * Karras et al. (2022) sigma spacing and the σ → timestep inverse, shared by Euler and DPM-Solver (diffusers copies
 * `_convert_to_karras` / `_sigma_to_t` between those classes; the math here follows that copy).
 */
import { linspace } from './training-schedule';

const RHO = 7;

/** N sigmas from sigmaMax down to sigmaMin, evenly spaced in σ^(1/ρ); double precision like diffusers' numpy. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, count: number): Float64Array {
  const minInvRho = sigmaMin ** (1 / RHO);
  const maxInvRho = sigmaMax ** (1 / RHO);
  return linspace(0, 1, count).map((r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** RHO);
}

/**
 * The (fractional) training timestep whose log σ matches: linear interpolation in log σ between the two training
 * steps around it, clamped to the training range. `logSigmas` ascends (fp32, as diffusers' `np.log` of fp32 sigmas).
 */
export function sigmaToTimestep(sigma: number, logSigmas: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // Last index whose log σ is ≤ ours (0 when none is), kept one short of the end so low+1 exists.
  let low = 0;
  for (let i = 0; i < logSigmas.length && logSigmas[i] <= logSigma; i++) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lowLog = logSigmas[low];
  // numpy subtracts the two fp32 scalars in fp32.
  const w = Math.min(Math.max((lowLog - logSigma) / Math.fround(lowLog - logSigmas[low + 1]), 0), 1);
  return (1 - w) * low + w * (low + 1);
}
