import { describe, expect, it } from 'vitest';
import { EXECUTION_PROVIDERS } from '../../core/params';
import { createOrtRuntime } from '../../service/runtime/ort-runtime';
import { describeExecutionProviders, PROVIDERS, providerCandidates, providerProblem } from '../../service/runtime/providers';
import type { ProviderName } from '../../service/runtime/runtime';

const EVERY: ProviderName[] = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'];

describe('execution providers', () => {
  it('has one frozen entry per choice except auto', () => {
    expect(Object.isFrozen(PROVIDERS)).toBe(true);
    expect(Object.keys(PROVIDERS).sort()).toEqual(EXECUTION_PROVIDERS.filter((p) => p !== 'auto').sort());
  });

  it('auto tries the native GPU providers, then webgpu, then cpu — only those the runtime offers', () => {
    expect(providerCandidates('auto', EVERY, 'linux')).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(providerCandidates('auto', EVERY, 'win32')).toEqual(['cuda', 'dml', 'webgpu', 'cpu']);
    expect(providerCandidates('auto', EVERY, 'darwin')).toEqual(['coreml', 'webgpu', 'cpu']);
    expect(providerCandidates('auto', ['cpu', 'webgpu'], 'linux')).toEqual(['webgpu', 'cpu']);
    expect(providerCandidates('auto', [], 'freebsd')).toEqual(['cpu']);
  });

  it('an explicit choice is tried alone', () => {
    expect(providerCandidates('cuda', ['cpu'], 'linux')).toEqual(['cuda']);
  });

  it('cpu is always offered; platform-bound providers are not offered elsewhere', () => {
    expect(createOrtRuntime('linux').availableProviders()).toContain('cpu');
    expect(createOrtRuntime('linux').availableProviders()).not.toContain('dml');
    expect(createOrtRuntime('win32').availableProviders()).not.toContain('coreml');
    // The Windows build ships DirectML, the macOS build CoreML.
    expect(createOrtRuntime('win32').availableProviders()).toContain('dml');
    expect(createOrtRuntime('darwin').availableProviders()).toContain('coreml');
  });

  it('a missing CUDA provider names the install command', () => {
    const message = providerProblem('cuda', new Error('libcudart.so.12: cannot open shared object file'), 'linux');
    expect(message).toContain('"cuda"');
    expect(message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js');
    expect(message).toContain('libcudart');
    expect(providerProblem('dml', undefined, 'linux')).toContain('not offered on linux');
  });

  it('describes every provider for `genfill doctor`', () => {
    const rows = describeExecutionProviders(createOrtRuntime().availableProviders());
    expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(PROVIDERS).sort());
    expect(rows.find((r) => r.name === 'cpu')).toEqual({ name: 'cpu', available: true, hint: 'available' });
    for (const row of rows.filter((r) => !r.available)) expect(row.hint.length).toBeGreaterThan(10);
  });
});
