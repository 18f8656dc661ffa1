/**
 * The provider self-test: the probe graph on the chosen GPU provider and on CPU, compared output by output. A known
 * failure gets its known workaround; any other failure refuses the provider for this model with the op named.
 */
import { float16BitsToFloat32 } from '../float16';
import type { ProviderName, Runtime, TensorData } from '../runtime';
import { buildProbeGraph, KNOWN_BUG_CHECK, PROBE_CHECKS } from './probe-graph';

/**
 * Allowed difference from CPU, relative to the output's largest magnitude (at least 1). GPUs reorder sums and may use
 * TF32 or fp16 accumulation (~1e-3); the known WebGPU conv bug is off by 3–4 on values of about 1.
 */
export const PROBE_TOLERANCE = 2e-2;

export interface CheckResult {
  output: string;
  op: string;
  /** Largest |provider − cpu| / max(1, max|cpu|); Infinity for NaN/Inf or a shape mismatch. */
  error: number;
  ok: boolean;
}

export interface ProviderVerdict {
  provider: ProviderName;
  /** workaround: the known WebGPU 9-channel conv bug, fixed by running the UNet's `sample` Conv on CPU. */
  kind: 'ok' | 'workaround' | 'refused';
  checks: CheckResult[];
  /** One line for health, logs and doctor; for a refusal, also what to do. */
  summary: string;
}

function asFloat64(tensor: TensorData): Float64Array {
  if (tensor.type === 'float16') return Float64Array.from(tensor.data as Uint16Array, float16BitsToFloat32);
  return Float64Array.from(tensor.data as ArrayLike<number>);
}

export function compareOutputs(expected: TensorData, actual: TensorData): number {
  if (expected.dims.join() !== actual.dims.join()) return Infinity;
  const want = asFloat64(expected);
  const got = asFloat64(actual);
  let scale = 1;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const diff = Math.abs(got[i] - want[i]);
    if (!Number.isFinite(diff)) return Infinity;
    worst = Math.max(worst, diff);
  }
  return worst / scale;
}

function describe(checks: readonly CheckResult[]): string {
  return checks.map((c) => `${c.op} (error ${Number.isFinite(c.error) ? c.error.toPrecision(2) : 'non-finite'})`).join('; ');
}

export function verdictOf(provider: ProviderName, checks: CheckResult[]): ProviderVerdict {
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) return { provider, kind: 'ok', checks, summary: `${provider}: self-test passed (${checks.length} op checks match CPU)` };
  // forceCpuNodeNames exists only for WebGPU; elsewhere the same failure has no workaround.
  if (provider === 'webgpu' && failed.length === 1 && failed[0].output === KNOWN_BUG_CHECK) {
    return {
      provider,
      kind: 'workaround',
      checks,
      summary: `${provider}: ${describe(failed)} is computed wrongly (a known WebGPU bug): the UNet's first Conv runs on CPU`,
    };
  }
  return {
    provider,
    kind: 'refused',
    checks,
    summary:
      `${provider} computes ${describe(failed)} differently from CPU in genfill's self-test, so its images would be wrong: ` +
      `it is not used for this model. Update the GPU driver, or choose another provider (--provider cpu always works); ` +
      `\`genfill doctor --check-provider ${provider}\` repeats the test.`,
  };
}

/**
 * The self-test's CPU reference itself failed: onnxruntime-node on this machine is at fault, not the provider under
 * test, and the message says so.
 */
export class SelfTestReferenceError extends Error {
  override name = 'SelfTestReferenceError';
}

/**
 * Runs the probe on `provider` and on CPU. Throws when a session cannot be created on `provider` (the caller treats
 * that like any provider that fails to load), and a SelfTestReferenceError when the CPU reference cannot run.
 */
export async function checkProvider(runtime: Runtime, provider: ProviderName): Promise<ProviderVerdict> {
  const probe = buildProbeGraph();
  const outputs = PROBE_CHECKS.map((c) => c.output);
  const reference = await runOn(runtime, 'cpu', probe.model, probe.feeds, outputs).catch((error: unknown) => {
    throw new SelfTestReferenceError(
      `genfill's provider self-test could not run its CPU reference (${error instanceof Error ? error.message : String(error)}), ` +
        `so ${provider} was not checked. This is a problem of this onnxruntime-node installation, not of ${provider}: ` +
        'reinstall genfill (`npm ci`).',
      { cause: error },
    );
  });
  const actual = await runOn(runtime, provider, probe.model, probe.feeds, outputs);
  const checks = PROBE_CHECKS.map(({ output, op }) => {
    const error = compareOutputs(reference[output], actual[output]);
    return { output, op, error, ok: error <= PROBE_TOLERANCE };
  });
  return verdictOf(provider, checks);
}

async function runOn(
  runtime: Runtime,
  provider: ProviderName,
  model: Uint8Array,
  feeds: Record<string, TensorData>,
  outputs: readonly string[],
): Promise<Record<string, TensorData>> {
  // The plain provider (no forced CPU nodes): the test is of the provider's own kernels.
  const session = await runtime.createSession(model, { provider, label: 'provider self-test' });
  try {
    return await session.run(feeds, outputs);
  } finally {
    await session.release();
  }
}
