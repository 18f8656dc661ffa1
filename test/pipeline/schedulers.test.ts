/**
 * Schedulers against the spec's §7.6 vectors (numpy port of diffusers, fp32 details imitated; compared at 1e-5
 * relative), against an independent double-precision re-derivation for the cases the spec leaves out (Karras, N=30,
 * DDIM, other spacings), and step behaviour with an oracle noise prediction for a known x0.
 */
import { describe, expect, it } from 'vitest';
import { SCHEDULERS } from '../../core/params';
import type { SchedulerName } from '../../core/params';
import {
  createScheduler,
  parseSchedulerConfig,
  SDXL_SCHEDULER_CONFIG,
  stepsForStrength,
} from '../../service/pipeline/schedulers/index';
import type { Scheduler, SchedulerConfig } from '../../service/pipeline/schedulers/index';
import { trainingSchedule } from '../../service/pipeline/schedulers/training-schedule';

const REL = 1e-5;
/** The spec prints 6 decimals, so small values are only good to half a unit in the last place. */
const SPEC_ABS = 5e-7;

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = REL, abs = SPEC_ABS): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = Math.max(Math.abs(expected[i]) * rel, abs);
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) {
      throw new Error(`index ${i}: ${actual[i]} is not within ${tolerance} of ${expected[i]}`);
    }
  }
}

// --- An independent double-precision derivation of the SDXL schedule (no fp32 imitation) --------------------------

const TRAIN = 1000;
/** ᾱ and σ over the training range, all in double. */
const reference = (() => {
  const a = Math.sqrt(0.00085);
  const b = Math.sqrt(0.012);
  const alphasCumprod: number[] = [];
  let product = 1;
  for (let i = 0; i < TRAIN; i++) {
    const beta = (a + ((b - a) * i) / (TRAIN - 1)) ** 2;
    product *= 1 - beta;
    alphasCumprod.push(product);
  }
  const sigmas = alphasCumprod.map((ac) => Math.sqrt((1 - ac) / ac));
  return { alphasCumprod, sigmas };
})();

function karras(sigmaMin: number, sigmaMax: number, n: number): number[] {
  const lo = sigmaMin ** (1 / 7);
  const hi = sigmaMax ** (1 / 7);
  return Array.from({ length: n }, (_, k) => (hi + (k / (n - 1)) * (lo - hi)) ** 7);
}

/** The training timestep whose σ matches, interpolating linearly in log σ. */
function timestepOf(sigma: number): number {
  const logs = reference.sigmas.map(Math.log);
  const target = Math.log(sigma);
  let i = 0;
  while (i < TRAIN - 2 && logs[i + 1] <= target) i++;
  const w = Math.min(Math.max((logs[i] - target) / (logs[i] - logs[i + 1]), 0), 1);
  return i + w;
}

/** 'leading' timesteps: Euler/DDIM space N points by 1000//N; DPM-Solver spaces N+1 by 1000//(N+1) and drops t=0. */
const leading = (n: number, ratio: number): number[] => Array.from({ length: n }, (_, i) => (n - 1 - i) * ratio + 1);
const dpmLeading = (n: number, ratio: number): number[] => Array.from({ length: n }, (_, i) => (n - i) * ratio + 1);

/**
 * Tolerance against the double derivation: fp32 loses digits in 1 − ᾱ near t = 0 (σ_train[0] is 1.3e-5 off the
 * exact value), which the spec's 1e-5 fp32-variant tolerance does not cover.
 */
const EXACT_REL = 2e-5;

/** Copies of the schedule for running steps: x0, ε and the sample size used by the step tests. */
const SIZE = 64;
const x0 = Float32Array.from({ length: SIZE }, (_, i) => Math.sin(i * 1.7) * 1.5);
const trueNoise = Float32Array.from({ length: SIZE }, (_, i) => Math.cos(i * 2.3 + 0.4) * 1.2);

// --- Training schedule ------------------------------------------------------------------------------------------

describe('training schedule (SDXL config)', () => {
  const schedule = trainingSchedule(SDXL_SCHEDULER_CONFIG);

  it('matches the spec endpoints and ᾱ values', () => {
    expectClose([schedule.sigmas[0], schedule.sigmas[999]], [0.0291675, 14.614647]);
    const a = schedule.alphasCumprod;
    expectClose([a[0], a[1], a[551], a[901], a[951]], [0.99914998, 0.998296, 0.212782, 0.014005, 0.008155]);
  });

  it('agrees with a double-precision derivation to fp32 accuracy', () => {
    expectClose(schedule.alphasCumprod, reference.alphasCumprod, 1e-6);
    expectClose(schedule.sigmas, reference.sigmas, EXACT_REL, 0);
  });
});

// --- Timesteps and sigmas ----------------------------------------------------------------------------------------

describe('Euler (leading)', () => {
  const euler = createScheduler('euler', SDXL_SCHEDULER_CONFIG, 20);

  it('N=20 matches the spec vectors', () => {
    expect(Array.from(euler.timesteps)).toEqual(leading(20, 50));
    expectClose(
      euler.sigmas,
      [
        11.028336, 8.390687, 6.5064, 5.134433, 4.116698, 3.347765, 2.756197, 2.292855, 1.923444, 1.623693, 1.37618,
        1.168216, 0.990409, 0.835653, 0.698399, 0.574051, 0.458333, 0.346187, 0.228147, 0.041314, 0,
      ],
    );
    expectClose([euler.initNoiseSigma], [11.073581]);
    expect(euler.needsNoise).toBe(false);
  });

  it('scales the UNet input by c_in = 1/sqrt(σ²+1)', () => {
    const out = new Float32Array(4);
    euler.scaleModelInput(new Float32Array(4).fill(1), 0, out);
    expectClose(out, [0.090305, 0.090305, 0.090305, 0.090305]);
  });

  it('N=30 follows the formulas', () => {
    const n30 = createScheduler('euler', SDXL_SCHEDULER_CONFIG, 30);
    const timesteps = leading(30, 33);
    expect(timesteps[0]).toBe(958);
    expect(Array.from(n30.timesteps)).toEqual(timesteps);
    expectClose(n30.sigmas, [...timesteps.map((t) => reference.sigmas[t]), 0], EXACT_REL);
    expectClose([n30.initNoiseSigma], [Math.sqrt(reference.sigmas[958] ** 2 + 1)]);
  });

  it('strength picks the start index and the add_noise sigma', () => {
    expect(stepsForStrength(20, 1)).toEqual({ startIndex: 0, stepsToRun: 20 });
    const { startIndex, stepsToRun } = stepsForStrength(20, 0.6);
    expect({ startIndex, stepsToRun }).toEqual({ startIndex: 8, stepsToRun: 12 });
    expect(euler.timesteps[startIndex]).toBe(551);
    expectClose([euler.sigmas[startIndex]], [1.923444]);
    const byDefault = stepsForStrength(20, 0.9999);
    expect(byDefault).toEqual({ startIndex: 1, stepsToRun: 19 });
    expect(euler.timesteps[1]).toBe(901);
    expectClose([euler.sigmas[1]], [8.390687]);

    const noisy = new Float32Array(SIZE);
    euler.addNoise(x0, trueNoise, startIndex, noisy);
    expectClose(noisy, Array.from(x0, (v, i) => v + euler.sigmas[startIndex] * trueNoise[i]), 1e-6, 1e-6);
  });
});

describe('stepsForStrength', () => {
  it('truncates N·strength like Python int()', () => {
    expect(stepsForStrength(30, 0.6).startIndex).toBe(12);
    expect(stepsForStrength(50, 0.6).startIndex).toBe(20);
    expect([20, 30, 50].map((n) => stepsForStrength(n, 0.75).startIndex)).toEqual([5, 8, 13]);
    expect(stepsForStrength(20, 0.05)).toEqual({ startIndex: 19, stepsToRun: 1 });
  });

  it('refuses a strength that runs no step, and bad inputs', () => {
    expect(() => stepsForStrength(20, 0.04)).toThrow(/strength 0.04 with 20 steps runs no denoising step/);
    expect(() => stepsForStrength(0, 0.5)).toThrow(/steps 0/);
    expect(() => stepsForStrength(20, 1.5)).toThrow(/strength 1.5/);
    expect(() => stepsForStrength(20, Number.NaN)).toThrow(/strength NaN/);
  });
});

describe('Euler Karras', () => {
  for (const n of [20, 30]) {
    it(`N=${n}: Karras over the spaced schedule's ends, fractional timesteps`, () => {
      const s = createScheduler('euler_karras', SDXL_SCHEDULER_CONFIG, n);
      const ratio = Math.floor(TRAIN / n);
      const first = (n - 1) * ratio + 1;
      const sigmas = karras(reference.sigmas[1], reference.sigmas[first], n);
      expectClose(s.sigmas, [...sigmas, 0], EXACT_REL);
      // Endpoints are σ(t_first) and σ(t=1), not the training range's.
      expectClose([s.sigmas[0], s.sigmas[n - 1]], [reference.sigmas[first], reference.sigmas[1]], EXACT_REL);
      expectClose(s.timesteps, sigmas.map(timestepOf), 0, 2e-3);
      expect(s.timesteps[0]).toBeCloseTo(first, 3);
      expect(s.timesteps[n - 1]).toBeCloseTo(1, 3);
      expect(Array.from(s.timesteps).some((t) => !Number.isInteger(t))).toBe(true);
      for (let i = 1; i < n; i++) {
        expect(s.sigmas[i]).toBeLessThan(s.sigmas[i - 1]);
        expect(s.timesteps[i]).toBeLessThan(s.timesteps[i - 1]);
      }
      expectClose([s.initNoiseSigma], [Math.sqrt(reference.sigmas[first] ** 2 + 1)]);
    });
  }
});

describe('Euler ancestral', () => {
  it('uses the Euler schedule and needs noise', () => {
    const a = createScheduler('euler_a', SDXL_SCHEDULER_CONFIG, 20);
    const e = createScheduler('euler', SDXL_SCHEDULER_CONFIG, 20);
    expect(a.timesteps).toEqual(e.timesteps);
    expect(a.sigmas).toEqual(e.sigmas);
    expect(a.initNoiseSigma).toBe(e.initNoiseSigma);
    expect(a.needsNoise).toBe(true);
    // Its own copies of add_noise (at σ[start]) and c_in must agree with Euler's.
    const start = stepsForStrength(20, 0.6).startIndex;
    const [fromA, fromE] = [a, e].map((s) => {
      const out = new Float32Array(SIZE);
      s.addNoise(x0, trueNoise, start, out);
      return out;
    });
    expect(fromA).toEqual(fromE);
    expectClose(fromA, Array.from(x0, (v, i) => v + 1.923444 * trueNoise[i]), 1e-5, 1e-6);
    const [scaledA, scaledE] = [a, e].map((s) => {
      const out = new Float32Array(SIZE);
      s.scaleModelInput(x0, start, out);
      return out;
    });
    expect(scaledA).toEqual(scaledE);
  });
});

describe('DPM++ 2M', () => {
  it('N=20 matches the spec vectors', () => {
    const s = createScheduler('dpmpp_2m', SDXL_SCHEDULER_CONFIG, 20);
    expect(Array.from(s.timesteps)).toEqual(dpmLeading(20, 47));
    expectClose(
      s.sigmas,
      [
        10.425045, 8.08818, 6.380311, 5.11103, 4.152059, 3.415703, 2.841162, 2.385717, 2.018962, 1.71899, 1.469815,
        1.259629, 1.079587, 0.922953, 0.78448, 0.659933, 0.545657, 0.438062, 0.332624, 0.22041, 0,
      ],
    );
    expect(s.initNoiseSigma).toBe(1);
    const { startIndex } = stepsForStrength(20, 0.6);
    expect(s.timesteps[startIndex]).toBe(565);
    expectClose([s.sigmas[startIndex]], [2.018962]);
  });

  it('N=30 follows the formulas (1000 // 31 spacing)', () => {
    const s = createScheduler('dpmpp_2m', SDXL_SCHEDULER_CONFIG, 30);
    const timesteps = dpmLeading(30, 32);
    expect(timesteps[0]).toBe(961);
    expect(Array.from(s.timesteps)).toEqual(timesteps);
    expectClose(s.sigmas, [...timesteps.map((t) => reference.sigmas[t]), 0], EXACT_REL);
  });

  for (const n of [20, 30]) {
    it(`Karras N=${n}: full training range, integer timesteps`, () => {
      const s = createScheduler('dpmpp_2m_karras', SDXL_SCHEDULER_CONFIG, n);
      const sigmas = karras(reference.sigmas[0], reference.sigmas[TRAIN - 1], n);
      expectClose(s.sigmas, [...sigmas, 0], EXACT_REL);
      expectClose([s.sigmas[0], s.sigmas[n - 1]], [14.614647, 0.0291675]);
      expect(Array.from(s.timesteps)).toEqual(sigmas.map((sigma) => Math.round(timestepOf(sigma))));
      expect(s.timesteps[0]).toBe(999);
      expect(s.timesteps[n - 1]).toBe(0);
      for (let i = 1; i < n; i++) expect(s.timesteps[i]).toBeLessThanOrEqual(s.timesteps[i - 1]);
      expect(s.initNoiseSigma).toBe(1);
    });
  }
});

describe('DDIM', () => {
  it('uses leading integer timesteps and the equivalent sigmas', () => {
    for (const n of [20, 30]) {
      const s = createScheduler('ddim', SDXL_SCHEDULER_CONFIG, n);
      const timesteps = leading(n, Math.floor(TRAIN / n));
      expect(Array.from(s.timesteps)).toEqual(timesteps);
      expectClose(s.sigmas, [...timesteps.map((t) => reference.sigmas[t]), 0], EXACT_REL);
      expect(s.initNoiseSigma).toBe(1);
    }
  });
});

describe('other timestep spacings', () => {
  it('trailing: 999, 949, …, 49 and init sigma = σ_max', () => {
    const config = { ...SDXL_SCHEDULER_CONFIG, timestepSpacing: 'trailing' as const };
    const expected = Array.from({ length: 20 }, (_, i) => 999 - 50 * i);
    for (const name of ['euler', 'ddim', 'dpmpp_2m'] as const) {
      expect(Array.from(createScheduler(name, config, 20).timesteps)).toEqual(expected);
    }
    const euler = createScheduler('euler', config, 20);
    expectClose([euler.initNoiseSigma], [reference.sigmas[999]]);
  });

  it('linspace: fractional for Euler (interpolated σ), rounded for DDIM', () => {
    const config = { ...SDXL_SCHEDULER_CONFIG, timestepSpacing: 'linspace' as const };
    const raw = Array.from({ length: 20 }, (_, i) => (999 * (19 - i)) / 19);
    const euler = createScheduler('euler', config, 20);
    expectClose(euler.timesteps, raw, 1e-6);
    const t = raw[1];
    const low = Math.floor(t);
    const sigma = reference.sigmas[low] + (t - low) * (reference.sigmas[low + 1] - reference.sigmas[low]);
    expectClose([euler.sigmas[1]], [sigma]);
    expect(Array.from(createScheduler('ddim', config, 20).timesteps)).toEqual(raw.map(Math.round));
  });
});

// --- Steps ---------------------------------------------------------------------------------------------------------

/** VP scales for a VE sigma: x = α·x0 + s·ε. */
const vp = (sigma: number): { alpha: number; scale: number } => {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return { alpha, scale: sigma * alpha };
};

/** Runs a scheduler from `start` with a model that predicts the exact noise for x0; checks every intermediate state. */
function runWithOracle(
  s: Scheduler,
  start: number,
  noiseOf: (sample: Float32Array, index: number) => Float32Array,
  expectedAfter: (index: number) => Float32Array,
): Float32Array {
  const sample = new Float32Array(SIZE);
  s.addNoise(x0, trueNoise, start, sample);
  for (let i = start; i < s.timesteps.length; i++) {
    s.step(noiseOf(sample, i), i, sample);
    expectClose(sample, expectedAfter(i), 1e-5, 2e-5);
  }
  return sample;
}

describe('steps with an oracle noise prediction', () => {
  for (const name of ['euler', 'euler_karras'] as const) {
    for (const start of [0, 8]) {
      it(`${name} from index ${start} stays on x0 + σ·ε and lands on x0`, () => {
        const s = createScheduler(name, SDXL_SCHEDULER_CONFIG, 20);
        const veNoise = (sample: Float32Array, i: number): Float32Array =>
          sample.map((x, k) => (x - x0[k]) / s.sigmas[i]);
        const last = runWithOracle(s, start, veNoise, (i) => x0.map((v, k) => v + s.sigmas[i + 1] * trueNoise[k]));
        expectClose(last, x0, 0, 1e-5);
      });
    }
  }

  for (const name of ['dpmpp_2m', 'dpmpp_2m_karras'] as const) {
    for (const start of [0, 8]) {
      it(`${name} from index ${start} stays on α·x0 + s·ε and lands on x0`, () => {
        const s = createScheduler(name, SDXL_SCHEDULER_CONFIG, 20);
        const vpNoise = (sample: Float32Array, i: number): Float32Array => {
          const { alpha, scale } = vp(s.sigmas[i]);
          return sample.map((x, k) => (x - alpha * x0[k]) / scale);
        };
        const on = (i: number): Float32Array => {
          const { alpha, scale } = vp(s.sigmas[i + 1]);
          return x0.map((v, k) => alpha * v + scale * trueNoise[k]);
        };
        const last = runWithOracle(s, start, vpNoise, on);
        expect(last.every(Number.isFinite)).toBe(true);
        expectClose(last, x0, 0, 1e-5);
      });
    }
  }

  it('ddim from index 8 (strength 0.6) adds noise with ᾱ at timesteps[8] = 551 and stays on the trajectory', () => {
    const s = createScheduler('ddim', SDXL_SCHEDULER_CONFIG, 20);
    const start = stepsForStrength(20, 0.6).startIndex;
    expect(s.timesteps[start]).toBe(551);
    const noisy = new Float32Array(SIZE);
    s.addNoise(x0, trueNoise, start, noisy);
    // Spec §7.6: ᾱ[551] = 0.212782 (DDIM has no begin index: the timestep itself picks ᾱ).
    expectClose(noisy, x0.map((v, k) => Math.sqrt(0.212782) * v + Math.sqrt(1 - 0.212782) * trueNoise[k]), 2e-5, 2e-6);
    const ac = (t: number): number => (t >= 0 ? reference.alphasCumprod[t] : reference.alphasCumprod[0]);
    const ddimNoise = (sample: Float32Array, i: number): Float32Array => {
      const a = ac(s.timesteps[i]);
      return sample.map((x, k) => (x - Math.sqrt(a) * x0[k]) / Math.sqrt(1 - a));
    };
    const on = (i: number): Float32Array => {
      const a = ac(s.timesteps[i] - 50);
      return x0.map((v, k) => Math.sqrt(a) * v + Math.sqrt(1 - a) * trueNoise[k]);
    };
    const last = runWithOracle(s, start, ddimNoise, on);
    expectClose(last, on(19), 1e-5, 2e-5);
  });

  for (const setAlphaToOne of [false, true]) {
    it(`ddim (set_alpha_to_one ${setAlphaToOne}) stays on sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε`, () => {
      const config = { ...SDXL_SCHEDULER_CONFIG, setAlphaToOne };
      const s = createScheduler('ddim', config, 20);
      const ac = (t: number): number => (t >= 0 ? reference.alphasCumprod[t] : setAlphaToOne ? 1 : reference.alphasCumprod[0]);
      const ddimNoise = (sample: Float32Array, i: number): Float32Array => {
        const a = ac(s.timesteps[i]);
        return sample.map((x, k) => (x - Math.sqrt(a) * x0[k]) / Math.sqrt(1 - a));
      };
      const on = (i: number): Float32Array => {
        const a = ac(s.timesteps[i] - 50);
        return x0.map((v, k) => Math.sqrt(a) * v + Math.sqrt(1 - a) * trueNoise[k]);
      };
      const last = runWithOracle(s, 0, ddimNoise, on);
      // SDXL's config ends on ᾱ[0] = 0.99915, a hair above x0; with set_alpha_to_one the end is x0 itself.
      if (setAlphaToOne) expectClose(last, x0, 0, 1e-5);
    });
  }

  it('ddim with clip_sample clamps the x0 prediction', () => {
    const config = { ...SDXL_SCHEDULER_CONFIG, clipSample: true, clipSampleRange: 1 };
    const s = createScheduler('ddim', config, 20);
    const a = reference.alphasCumprod[s.timesteps[19]];
    const sample = Float32Array.of(Math.sqrt(a) * 3, Math.sqrt(a) * -0.5);
    s.step(new Float32Array(2), 19, sample);
    const final = Math.sqrt(reference.alphasCumprod[0]);
    expectClose(sample, [final * 1, final * -0.5], 1e-5);
  });

  it('euler_a with zero noise moves x0 + c·ε to x0 + c·(σ_down/σ_i)·ε and lands on x0', () => {
    const s = createScheduler('euler_a', SDXL_SCHEDULER_CONFIG, 20);
    const zeros = new Float32Array(SIZE);
    const sample = new Float32Array(SIZE);
    s.addNoise(x0, trueNoise, 0, sample);
    let level = s.sigmas[0];
    for (let i = 0; i < 20; i++) {
      // The x0 prediction x − σ_i·ε is exact.
      s.step(sample.map((x, k) => (x - x0[k]) / s.sigmas[i]), i, sample, zeros);
      // σ_down = σ_{i+1}²/σ_i, since σ_up² = σ_{i+1}²(σ_i² − σ_{i+1}²)/σ_i².
      const down = s.sigmas[i + 1] ** 2 / s.sigmas[i];
      level *= down / s.sigmas[i];
      expectClose(sample, x0.map((v, k) => v + level * trueNoise[k]), 1e-5, 2e-5);
    }
    expectClose(sample, x0, 0, 1e-5);
  });

  it('euler_a splits σ_{i+1}² into σ_down² + σ_up²', () => {
    const s = createScheduler('euler_a', SDXL_SCHEDULER_CONFIG, 20);
    for (const i of [0, 7, 18]) {
      const drift = Float32Array.of(0);
      s.step(Float32Array.of(1), i, drift, Float32Array.of(0)); // moves by σ_down − σ_i
      const up = Float32Array.of(0);
      s.step(Float32Array.of(0), i, up, Float32Array.of(1)); // moves by σ_up
      const down = drift[0] + s.sigmas[i];
      expectClose([down * down + up[0] * up[0]], [s.sigmas[i + 1] ** 2], 1e-5);
    }
    expect(() => s.step(Float32Array.of(0), 0, Float32Array.of(0))).toThrow(/needs fresh noise/);
  });
});

/**
 * diffusers' DPMSolverMultistepScheduler.step transcribed in double: convert_model_output, the shifting history, the
 * lower_order_nums counter and lower_order_final, for a model output that is not an oracle.
 */
function referenceDpm(sigmas: ArrayLike<number>, start: number, output: (i: number) => number[], sample: number[]): number[] {
  const n = sigmas.length - 1;
  const lambda = (sigma: number): number => Math.log(vp(sigma).alpha) - Math.log(vp(sigma).scale);
  let history: number[][] = [];
  let lowerOrderNums = 0;
  let x = sample.slice();
  for (let i = start; i < n; i++) {
    const s0 = vp(sigmas[i]);
    const m0 = x.map((v, k) => (v - s0.scale * output(i)[k]) / s0.alpha);
    history = [history[history.length - 1], m0];
    const t = vp(sigmas[i + 1]);
    const h = lambda(sigmas[i + 1]) - lambda(sigmas[i]);
    const lowerOrderFinal = i === n - 1;
    if (lowerOrderNums < 1 || lowerOrderFinal) {
      x = x.map((v, k) => (t.scale / s0.scale) * v - t.alpha * (Math.exp(-h) - 1) * m0[k]);
    } else {
      const m1 = history[0];
      const r0 = (lambda(sigmas[i]) - lambda(sigmas[i - 1])) / h;
      x = x.map((v, k) => {
        const d1 = (m0[k] - m1[k]) / r0;
        return (t.scale / s0.scale) * v - t.alpha * (Math.exp(-h) - 1) * m0[k] - 0.5 * t.alpha * (Math.exp(-h) - 1) * d1;
      });
    }
    lowerOrderNums = Math.min(lowerOrderNums + 1, 2);
  }
  return x;
}

describe('DPM++ 2M multistep update', () => {
  const output = (i: number): number[] => Array.from({ length: SIZE }, (_, k) => Math.sin(k * 0.37 + i * 1.3));

  for (const name of ['dpmpp_2m', 'dpmpp_2m_karras'] as const) {
    for (const start of [0, 8]) {
      it(`${name} from index ${start} matches a double-precision transcription of diffusers`, () => {
        const s = createScheduler(name, SDXL_SCHEDULER_CONFIG, 20);
        const sample = new Float32Array(SIZE);
        s.addNoise(x0, trueNoise, start, sample);
        const expected = referenceDpm(s.sigmas, start, output, Array.from(sample));
        for (let i = start; i < 20; i++) s.step(Float32Array.from(output(i)), i, sample);
        expectClose(sample, expected, 1e-5, 1e-5);
      });
    }
  }

  it('a new run at or before the last step restarts the history; a skipped step throws', () => {
    const run = (s: Scheduler): Float32Array => {
      const sample = new Float32Array(SIZE);
      s.addNoise(x0, trueNoise, 5, sample);
      for (let i = 5; i < 20; i++) s.step(Float32Array.from(output(i)), i, sample);
      return sample;
    };
    const reused = createScheduler('dpmpp_2m', SDXL_SCHEDULER_CONFIG, 20);
    const first = run(reused);
    expect(run(reused)).toEqual(first);
    expect(run(createScheduler('dpmpp_2m', SDXL_SCHEDULER_CONFIG, 20))).toEqual(first);

    const s = createScheduler('dpmpp_2m', SDXL_SCHEDULER_CONFIG, 20);
    s.step(new Float32Array(SIZE), 0, new Float32Array(SIZE));
    expect(() => s.step(new Float32Array(SIZE), 2, new Float32Array(SIZE))).toThrow(/step 2 follows step 0/);
  });

  it('VP add_noise and identity input scaling', () => {
    const s = createScheduler('dpmpp_2m', SDXL_SCHEDULER_CONFIG, 20);
    const out = new Float32Array(SIZE);
    s.addNoise(x0, trueNoise, 8, out);
    const { alpha, scale } = vp(2.018962);
    expectClose(out, x0.map((v, k) => alpha * v + scale * trueNoise[k]), 1e-5, 1e-6);
    const scaled = new Float32Array(SIZE);
    s.scaleModelInput(x0, 3, scaled);
    expect(scaled).toEqual(x0);
  });
});

// --- Factory and config -------------------------------------------------------------------------------------------

describe('createScheduler', () => {
  it('builds every scheduler name with N timesteps and N+1 sigmas ending in 0', () => {
    for (const name of SCHEDULERS) {
      const s = createScheduler(name, SDXL_SCHEDULER_CONFIG, 25);
      expect(s.name).toBe(name);
      expect(s.timesteps.length).toBe(25);
      expect(s.sigmas.length).toBe(26);
      expect(s.sigmas[25]).toBe(0);
    }
  });

  it('handles the step-count extremes (1 and 150) without NaN', () => {
    for (const name of SCHEDULERS) {
      for (const n of [1, 150]) {
        const s = createScheduler(name, SDXL_SCHEDULER_CONFIG, n);
        const sample = new Float32Array(SIZE);
        s.addNoise(x0, trueNoise, 0, sample);
        for (let i = 0; i < n; i++) s.step(trueNoise, i, sample, new Float32Array(SIZE));
        expect(Array.from(s.sigmas).every(Number.isFinite)).toBe(true);
        expect(Array.from(s.timesteps).every(Number.isFinite)).toBe(true);
        expect(sample.every(Number.isFinite)).toBe(true);
      }
    }
  });

  it('rejects unknown names, bad step counts and wrong array lengths', () => {
    expect(() => createScheduler('heun' as SchedulerName, SDXL_SCHEDULER_CONFIG, 20)).toThrow(/unknown scheduler "heun"/);
    expect(() => createScheduler('euler', SDXL_SCHEDULER_CONFIG, 0)).toThrow(/steps 0/);
    expect(() => createScheduler('euler', SDXL_SCHEDULER_CONFIG, 2.5)).toThrow(/steps 2.5/);
    const s = createScheduler('euler', SDXL_SCHEDULER_CONFIG, 20);
    expect(() => s.step(new Float32Array(3), 0, new Float32Array(4))).toThrow(/modelOutput has 3 values, expected 4/);
    expect(() => s.step(new Float32Array(4), 20, new Float32Array(4))).toThrow(/step index 20 is outside 0..19/);
  });
});

describe('parseSchedulerConfig', () => {
  /** §1.2: the SDXL base scheduler_config.json. */
  const sdxlJson = {
    _class_name: 'EulerDiscreteScheduler',
    _diffusers_version: '0.19.0.dev0',
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    clip_sample: false,
    interpolation_type: 'linear',
    num_train_timesteps: 1000,
    prediction_type: 'epsilon',
    sample_max_value: 1.0,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    timestep_spacing: 'leading',
    trained_betas: null,
    use_karras_sigmas: false,
  };

  it('reads the SDXL file as SDXL_SCHEDULER_CONFIG', () => {
    expect(parseSchedulerConfig(sdxlJson)).toEqual(SDXL_SCHEDULER_CONFIG);
  });

  it('takes class defaults for missing keys', () => {
    const config: SchedulerConfig = parseSchedulerConfig({});
    expect(config).toEqual({
      numTrainTimesteps: 1000,
      betaStart: 0.0001,
      betaEnd: 0.02,
      betaSchedule: 'linear',
      predictionType: 'epsilon',
      timestepSpacing: 'linspace',
      stepsOffset: 0,
      clipSample: true,
      clipSampleRange: 1,
      setAlphaToOne: true,
    });
  });

  it('names every unsupported value in one error', () => {
    let message = '';
    try {
      parseSchedulerConfig({
        ...sdxlJson,
        prediction_type: 'v_prediction',
        rescale_betas_zero_snr: true,
        beta_schedule: 'squaredcos_cap_v2',
        timestep_type: 'continuous',
        steps_offset: -1,
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/prediction_type "v_prediction"/);
    expect(message).toMatch(/rescale_betas_zero_snr true/);
    expect(message).toMatch(/beta_schedule "squaredcos_cap_v2"/);
    expect(message).toMatch(/timestep_type "continuous"/);
    expect(message).toMatch(/steps_offset -1/);
    expect(() => parseSchedulerConfig([])).toThrow(/must be a JSON object/);
    expect(() => parseSchedulerConfig({ beta_start: 0.02, beta_end: 0.01 })).toThrow(/beta_start 0.02 must be below/);
  });

  it('a linear beta schedule interpolates β itself', () => {
    const linear = trainingSchedule(parseSchedulerConfig({ beta_schedule: 'linear' }));
    expectClose([1 - linear.alphasCumprod[0]], [0.0001], 1e-4);
    const ratio = linear.alphasCumprod[1] / linear.alphasCumprod[0];
    expectClose([1 - ratio], [0.0001 + (0.02 - 0.0001) / 999], 1e-4);
  });
});
