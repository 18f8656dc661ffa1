// The provider self-test: its graph's outputs on CPU against the math done here in plain loops, and the verdicts.
import { describe, expect, it } from 'vitest';
import { buildProbeGraph, PROBE_CHECKS, MHA_HEADS, PROBE_CONV_OUT, PROBE_EPSILON, probeParameters } from '../../service/runtime/probe/probe-graph';
import { runProviderCheck } from '../../service/runtime/probe/doctor-check';
import { checkProvider, compareOutputs, SelfTestReferenceError, verdictOf } from '../../service/runtime/probe/provider-check';
import type { CheckResult } from '../../service/runtime/probe/provider-check';
import { createOrtRuntime } from '../../service/runtime/ort-runtime';
import { FakeRuntime } from './fake-runtime';

const p = probeParameters();
const C = 9;
const S = 8;
const T = S * S;
const HEAD = 8;
const at = (c: number, y: number, x: number): number => p.x[(c * S + y) * S + x];

/** float32 → nearest float16 value (ties to even), by scaling to the half's quantum: independent of service/runtime/float16. */
function roundToHalf(v: number): number {
  if (v === 0) return 0;
  const exponent = Math.max(Math.floor(Math.log2(Math.abs(v))), -14);
  const quantum = 2 ** (exponent - 10);
  const scaled = v / quantum;
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  const rounded = rest > 0.5 || (rest === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return rounded * quantum;
}

/** float16 bits → value, by the format's definition. */
function halfValue(bits: number): number {
  const exponent = (bits >> 10) & 31;
  const magnitude = exponent === 0 ? (bits & 1023) * 2 ** -24 : (1 + (bits & 1023) / 1024) * 2 ** (exponent - 15);
  return bits & 0x8000 ? -magnitude : magnitude;
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is 1.5e-7 accurate: enough against a 1e-5 tolerance.
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

function expected(): Record<string, number[]> {
  const conv: number[] = [];
  for (let o = 0; o < PROBE_CONV_OUT; o++)
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        let sum = p.convBias[o];
        for (let c = 0; c < C; c++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const yy = y + ky - 1;
              const xx = x + kx - 1;
              if (yy >= 0 && yy < S && xx >= 0 && xx < S) sum += p.convWeight[((o * C + c) * 3 + ky) * 3 + kx] * at(c, yy, xx);
            }
        conv.push(sum);
      }

  const groupNorm: number[] = new Array<number>(C * T);
  for (let g = 0; g < 3; g++) {
    const values = Array.from(p.x.subarray(g * 3 * T, (g + 1) * 3 * T));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    values.forEach((v, i) => {
      const c = g * 3 + Math.floor(i / T);
      groupNorm[g * 3 * T + i] = ((v - mean) / Math.sqrt(variance + PROBE_EPSILON)) * p.groupScale[c] + p.groupBias[c];
    });
  }

  const token = (t: number): number[] => Array.from({ length: C }, (_, c) => p.x[c * T + t]);
  const project = (row: number[], w: Float32Array): number[] =>
    Array.from({ length: HEAD }, (_, j) => row.reduce((sum, v, i) => sum + v * w[i * HEAD + j], 0));
  const contextRows = Array.from({ length: 5 }, (_, r) => Array.from(p.context.subarray(r * C, (r + 1) * C)));
  const keys = contextRows.map((r) => project(r, p.wk));
  const vals = contextRows.map((r) => project(r, p.wv));
  const attention: number[] = [];
  const mha: number[] = [];
  const gemm: number[] = [];
  const layerNorm: number[] = [];
  for (let t = 0; t < T; t++) {
    const q = project(token(t), p.wq);
    const scores = keys.map((k) => k.reduce((sum, v, i) => sum + v * q[i], 0) / Math.sqrt(HEAD));
    const top = Math.max(...scores);
    const weights = scores.map((s) => Math.exp(s - top));
    const total = weights.reduce((a, b) => a + b, 0);
    for (let j = 0; j < HEAD; j++) attention.push(vals.reduce((sum, v, r) => sum + (weights[r] / total) * v[j], 0));
    const headDim = HEAD / MHA_HEADS;
    for (let h = 0; h < MHA_HEADS; h++) {
      const dims = Array.from({ length: headDim }, (_, d) => h * headDim + d);
      const headScores = keys.map((k) => dims.reduce((sum, d) => sum + k[d] * q[d], 0) / Math.sqrt(headDim));
      const headTop = Math.max(...headScores);
      const headWeights = headScores.map((s) => Math.exp(s - headTop));
      const headTotal = headWeights.reduce((a, b) => a + b, 0);
      for (const d of dims) mha.push(vals.reduce((sum, v, r) => sum + (headWeights[r] / headTotal) * v[d], 0));
    }
    for (let j = 0; j < HEAD; j++) gemm.push(token(t).reduce((sum, v, c) => sum + v * p.gemmWeight[j * C + c], p.gemmBias[j]));
    const row = token(t);
    const mean = row.reduce((a, b) => a + b, 0) / C;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / C;
    row.forEach((v, c) => layerNorm.push(((v - mean) / Math.sqrt(variance + PROBE_EPSILON)) * p.layerScale[c] + p.layerBias[c]));
  }

  const x = Array.from(p.x);
  const resize: number[] = [];
  for (let c = 0; c < C; c++) for (let y = 0; y < 2 * S; y++) for (let xx = 0; xx < 2 * S; xx++) resize.push(at(c, y >> 1, xx >> 1));
  return {
    conv9x3: conv,
    group_norm: groupNorm,
    attention,
    mha,
    gemm,
    layer_norm: layerNorm,
    gelu: x.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
    silu: x.map((v) => v / (1 + Math.exp(-v))),
    resize,
    concat: [...x, ...Array.from(p.skip)],
    fp16: x.map((v) => 2 * roundToHalf(v)),
  };
}

function result(output: string, ok: boolean): CheckResult {
  return { output, op: PROBE_CHECKS.find((c) => c.output === output)?.op ?? output, error: ok ? 1e-7 : 3.4, ok };
}

describe('provider self-test', () => {
  it('its graph computes every op as plain loops do (onnxruntime on CPU)', async () => {
    const runtime = createOrtRuntime();
    const probe = buildProbeGraph();
    const session = await runtime.createSession(probe.model, { provider: 'cpu', label: 'probe' });
    try {
      const outputs = await session.run(probe.feeds);
      const want = expected();
      expect(Object.keys(outputs).sort()).toEqual(PROBE_CHECKS.map((c) => c.output).sort());
      for (const { output } of PROBE_CHECKS) {
        const data = outputs[output].data;
        const got = output === 'fp16' ? Array.from(data as Uint16Array, halfValue) : (data as Float32Array);
        expect(got.length, output).toBe(want[output].length);
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[output][i]));
        // fp16: rounding then doubling is exact; everything else is float32 arithmetic against float64 loops.
        expect(worst, output).toBeLessThan(output === 'fp16' ? 1e-12 : 2e-5);
        if (output === 'fp16') expect(outputs.fp16.type).toBe('float16');
      }
      // The values are not trivial: a broken graph could not match by accident.
      expect(Math.max(...want.conv9x3.map(Math.abs))).toBeGreaterThan(0.5);
    } finally {
      await session.release();
    }
  });

  it('compares outputs relative to their scale and treats NaN or a wrong shape as a failure', () => {
    const a = { type: 'float32' as const, data: Float32Array.from([4, -2]), dims: [2] };
    expect(compareOutputs(a, { ...a, data: Float32Array.from([4.4, -2]) })).toBeCloseTo(0.1);
    expect(compareOutputs(a, { ...a, data: Float32Array.from([Number.NaN, -2]) })).toBe(Infinity);
    expect(compareOutputs(a, { ...a, dims: [1, 2] })).toBe(Infinity);
  });

  it('gives the known WebGPU conv bug its workaround, and refuses anything else naming the op', () => {
    const all = (failing: string[]): CheckResult[] => PROBE_CHECKS.map((c) => result(c.output, !failing.includes(c.output)));
    expect(verdictOf('webgpu', all([])).kind).toBe('ok');
    const known = verdictOf('webgpu', all(['conv9x3']));
    expect(known.kind).toBe('workaround');
    expect(known.summary).toMatch(/Conv with 9 input channels and a 3×3 kernel .* known WebGPU bug.*first Conv runs on CPU/);
    // The same failure elsewhere has no workaround (forceCpuNodeNames is WebGPU's).
    expect(verdictOf('dml', all(['conv9x3'])).kind).toBe('refused');
    const other = verdictOf('webgpu', all(['conv9x3', 'layer_norm']));
    expect(other.kind).toBe('refused');
    expect(other.summary).toMatch(/webgpu computes .*LayerNormalization \(error 3\.4\).* not used for this model/);
    expect(other.summary).toMatch(/--provider cpu always works/);
    expect(other.summary).toMatch(/genfill doctor --check-provider webgpu/);
  });

  it('runs on the provider and on CPU through the runtime port', async () => {
    const wrong = await checkProvider(new FakeRuntime({ webgpu: { wrongOutputs: ['conv9x3'] } }), 'webgpu');
    expect(wrong.kind).toBe('workaround');
    expect(wrong.checks.find((c) => c.output === 'conv9x3')?.error).toBeGreaterThan(1);
    expect(wrong.checks.filter((c) => c.ok)).toHaveLength(PROBE_CHECKS.length - 1);
    const right = await checkProvider(new FakeRuntime({ cuda: {} }), 'cuda');
    expect(right).toMatchObject({ kind: 'ok', summary: `cuda: self-test passed (${PROBE_CHECKS.length} op checks match CPU)` });
    await expect(checkProvider(new FakeRuntime({ cuda: { failOpen: { message: 'no CUDA device' } } }), 'cuda')).rejects.toThrow(/no CUDA device/);
  });

  it('blames the runtime, not the provider, when the CPU reference itself fails', async () => {
    const brokenCpu = () => new FakeRuntime({ cpu: { failOpen: { message: 'libonnxruntime.so: cannot open shared object' } }, cuda: {} });
    const failure = checkProvider(brokenCpu(), 'cuda');
    await expect(failure).rejects.toBeInstanceOf(SelfTestReferenceError);
    await expect(failure).rejects.toThrow(/could not run its CPU reference \(libonnxruntime\.so: cannot open shared object\), so cuda was not checked.*not of cuda/);
    const doctor = await runProviderCheck(brokenCpu(), 'cuda');
    expect(doctor.usable).toBe(false);
    expect(doctor.fix).toMatch(/not of cuda: reinstall genfill/);
    expect(doctor.fix).not.toMatch(/execution provider "cuda" could not be used/);
  });
});
