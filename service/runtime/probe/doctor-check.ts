/** `genfill doctor --check-provider NAME`: the provider self-test, line by line, and what to do when it fails. */
import { PROVIDERS, providerProblem } from '../providers';
import type { ProviderName, Runtime } from '../runtime';
import { checkProvider, SelfTestReferenceError } from './provider-check';

export interface DoctorCheck {
  lines: string[];
  /** False when the provider cannot be opened here or computes an op wrongly. */
  usable: boolean;
  fix: string;
}

export async function runProviderCheck(runtime: Runtime, name: string): Promise<DoctorCheck> {
  if (!Object.hasOwn(PROVIDERS, name)) {
    return { lines: [`  ✗ unknown provider "${name}"`], usable: false, fix: `Choose one of ${Object.keys(PROVIDERS).join(', ')}.` };
  }
  const provider = name as ProviderName;
  if (!runtime.availableProviders().includes(provider)) {
    return { lines: ['  ✗ not offered by this onnxruntime build here'], usable: false, fix: providerProblem(provider) };
  }
  try {
    const verdict = await checkProvider(runtime, provider);
    const lines = verdict.checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.op}: error ${Number.isFinite(c.error) ? c.error.toExponential(1) : 'non-finite'}`);
    lines.push(`  → ${verdict.summary}`);
    return { lines, usable: verdict.kind !== 'refused', fix: verdict.summary };
  } catch (error) {
    const problem = error instanceof SelfTestReferenceError ? error.message : providerProblem(provider, error);
    return { lines: [`  ✗ ${problem}`], usable: false, fix: problem };
  }
}
