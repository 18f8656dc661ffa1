// `genfill doctor --check-provider`: the self-test's lines and verdict, through the fake runtime.
import { describe, expect, it } from 'vitest';
import { runProviderCheck } from '../../service/runtime/probe/doctor-check';
import { PROBE_CHECKS } from '../../service/runtime/probe/probe-graph';
import { FakeRuntime } from './fake-runtime';

describe('doctor --check-provider', () => {
  it('prints one line per op and the verdict; the known bug is usable, other failures are not', async () => {
    const known = await runProviderCheck(new FakeRuntime({ webgpu: { wrongOutputs: ['conv9x3'] } }), 'webgpu');
    expect(known.usable).toBe(true);
    expect(known.lines[0]).toMatch(/^ {2}✗ Conv with 9 input channels and a 3×3 kernel .*: error \d\.\de\+0$/);
    expect(known.lines.filter((l) => l.startsWith('  ✓'))).toHaveLength(PROBE_CHECKS.length - 1);
    expect(known.lines.at(-1)).toMatch(/→ webgpu: .*first Conv runs on CPU/);

    const wrong = await runProviderCheck(new FakeRuntime({ webgpu: { wrongOutputs: ['attention'] } }), 'webgpu');
    expect(wrong.usable).toBe(false);
    expect(wrong.fix).toMatch(/webgpu computes MatMul \+ Softmax \(attention\)/);
  });

  it('says what to install for a provider that is missing or cannot open', async () => {
    const missing = await runProviderCheck(new FakeRuntime(), 'cuda');
    expect(missing).toMatchObject({ usable: false, lines: ['  ✗ not offered by this onnxruntime build here'] });
    expect(missing.fix).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
    const broken = await runProviderCheck(new FakeRuntime({ cuda: { failOpen: { message: 'CUDA driver version is insufficient' } } }), 'cuda');
    expect(broken.usable).toBe(false);
    expect(broken.fix).toMatch(/execution provider "cuda" could not be used: CUDA driver version is insufficient/);
  });
});
