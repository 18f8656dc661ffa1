import { describe, expect, it } from 'vitest';
import { EXECUTION_PROVIDERS } from '../../core/params';
import {
  describeExecutionProviders,
  isProviderAvailable,
  PROVIDERS,
  providerCandidates,
  providerProblem,
} from '../../service/runtime/providers';

describe('execution providers', () => {
  it('has one frozen entry per choice except auto', () => {
    expect(Object.isFrozen(PROVIDERS)).toBe(true);
    expect(Object.keys(PROVIDERS).sort()).toEqual(EXECUTION_PROVIDERS.filter((p) => p !== 'auto').sort());
  });

  it('auto tries the platform GPU providers first and always ends with cpu', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      const candidates = providerCandidates('auto', platform);
      expect(candidates.at(-1)).toBe('cpu');
    }
    // CoreML ships inside the macOS build, DirectML inside the Windows build.
    expect(providerCandidates('auto', 'darwin')).toEqual(['coreml', 'cpu']);
    expect(providerCandidates('auto', 'win32')).toContain('dml');
  });

  it('an explicit choice is tried alone', () => {
    expect(providerCandidates('cuda', 'linux')).toEqual(['cuda']);
  });

  it('cpu is always available; platform-bound providers are not offered elsewhere', () => {
    expect(isProviderAvailable('cpu')).toBe(true);
    expect(isProviderAvailable('dml', 'linux')).toBe(false);
    expect(isProviderAvailable('coreml', 'win32')).toBe(false);
  });

  it('a missing CUDA provider names the install command', () => {
    const message = providerProblem('cuda', new Error('libcudart.so.12: cannot open shared object file'), 'linux');
    expect(message).toContain('"cuda"');
    expect(message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js');
    expect(message).toContain('libcudart');
    expect(providerProblem('dml', undefined, 'linux')).toContain('not offered on linux');
  });

  it('describes every provider for `genfill doctor`', () => {
    const rows = describeExecutionProviders();
    expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(PROVIDERS).sort());
    expect(rows.find((r) => r.name === 'cpu')).toEqual({ name: 'cpu', available: true, hint: 'available' });
    for (const row of rows.filter((r) => !r.available)) expect(row.hint.length).toBeGreaterThan(10);
  });
});
