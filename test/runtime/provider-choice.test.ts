// Provider choice with the self-test, on the tiny model through the fake runtime: order and fallback, the WebGPU
// workaround only when the probe shows the 9-channel conv bug, refusal with the op named, and no half-loaded engine.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../service/engines/engine';
import { createSdxlEngine } from '../../service/engines/sdxl/index';
import type { SdxlEngineOptions } from '../../service/engines/sdxl/index';
import { GraphBuilder } from '../../service/graphs/onnx-graph';
import { convNodesFedBy, convNodesFedByInFile } from '../../service/graphs/input-conv';
import { PROBE_CHECKS } from '../../service/runtime/probe/probe-graph';
import { tokenizerFilesAvailable } from '../models/tiny-sdxl';
import { recordingContext, removeTinyModels, solidJob, tinyModel } from '../pipeline/fixtures';
import { FakeRuntime } from './fake-runtime';

afterAll(removeTinyModels);

/** The tiny UNet's conv_in, as the graph names it (test/models/tiny/unet-graph.ts). */
const CONV_IN = '/conv_in/Conv_output_0_node';
const ALL_WRONG = PROBE_CHECKS.map((c) => c.output);

async function settled(engine: Engine): Promise<void> {
  while (engine.status().state === 'loading') await new Promise((resolve) => setTimeout(resolve, 5));
}

async function load(runtime: FakeRuntime, provider: SdxlEngineOptions['provider'], lines: string[] = []): Promise<Engine> {
  const model = await tinyModel('fp32');
  const engine = createSdxlEngine({ modelDir: model.dir, provider, lowMemory: false, batchVariations: true, runtime, log: (l) => lines.push(l) });
  await settled(engine);
  return engine;
}

function unetRequest(runtime: FakeRuntime) {
  return runtime.requests.filter((r) => r.label === 'unet');
}

describe('the Conv fed by the UNet input "sample"', () => {
  it('is read from the graph, through a Cast in fp16 exports', async () => {
    for (const variant of ['fp32', 'fp16'] as const) {
      const model = await tinyModel(variant);
      // Only conv_in: the graph's other Conv reads `sample` through a Pad, which is not followed.
      expect(await convNodesFedByInFile(join(model.dir, 'unet', 'model.onnx'), 'sample')).toEqual([CONV_IN]);
    }
  });

  it('is none when no Conv reads the input', () => {
    const g = new GraphBuilder('no_conv');
    const x = g.input({ name: 'sample', type: 'float32', dims: [1, 9, 4, 4] });
    g.output(g.op('Relu', [x]), { name: 'out', type: 'float32', dims: [1, 9, 4, 4] });
    expect(convNodesFedBy(g.encode().model, 'sample')).toEqual([]);
  });
});

describe.skipIf(!tokenizerFilesAvailable())('provider choice with the self-test', () => {
  it('auto: a self-test whose CPU reference fails blames onnxruntime, not the GPU, and goes on to the next provider', async () => {
    const runtime = new FakeRuntime({ cpu: { failOpen: { message: 'the probe cannot open on CPU', labels: ['provider self-test'] } }, webgpu: {} });
    const lines: string[] = [];
    const engine = await load(runtime, 'auto', lines);
    try {
      expect(engine.status()).toMatchObject({ state: 'ready', provider: 'cpu' });
      expect(lines.join('\n')).toMatch(/webgpu failed \(genfill's provider self-test could not run its CPU reference \(the probe cannot open on CPU\), so webgpu was not checked/);
      expect(lines.join('\n')).not.toMatch(/execution provider "webgpu" could not be used/);
    } finally {
      await engine.dispose();
    }
  });

  it('auto: cuda that cannot open → webgpu that passes, in that order, with the verdict in status', async () => {
    const runtime = new FakeRuntime({ cuda: { failOpen: { message: 'libcudart.so.12: cannot open shared object file' } }, webgpu: {} });
    const lines: string[] = [];
    const engine = await load(runtime, 'auto', lines);
    try {
      expect(engine.status()).toMatchObject({ state: 'ready', provider: 'webgpu', providerCheck: expect.stringMatching(/^webgpu: self-test passed/) as unknown });
      expect(runtime.attempts.slice(0, 4)).toEqual([
        'provider self-test@cpu',
        'provider self-test@cuda',
        'provider self-test@cpu',
        'provider self-test@webgpu',
      ]);
      expect(unetRequest(runtime)).toEqual([{ provider: 'webgpu', label: 'unet', cpuNodes: [] }]);
      expect(lines.some((l) => /cuda failed .*libcudart.*trying the next provider/.test(l))).toBe(true);
    } finally {
      await engine.dispose();
    }
  });

  it('moves conv_in to CPU only when the probe fails the 9-channel Conv', async () => {
    const runtime = new FakeRuntime({ webgpu: { wrongOutputs: ['conv9x3'] } });
    const engine = await load(runtime, 'webgpu');
    try {
      expect(engine.status()).toMatchObject({ state: 'ready', provider: 'webgpu' });
      expect(engine.status().providerCheck).toMatch(/9 input channels and a 3×3 kernel .* known WebGPU bug/);
      expect(unetRequest(runtime)).toEqual([{ provider: 'webgpu', label: 'unet', cpuNodes: [CONV_IN] }]);
      // The other graphs run wholly on the provider.
      for (const request of runtime.requests.filter((r) => r.label !== 'unet')) expect(request.cpuNodes ?? []).toEqual([]);
      const { images } = await engine.run(solidJob(), recordingContext());
      expect(images).toHaveLength(1);
    } finally {
      await engine.dispose();
    }
  });

  it('refuses a provider that is wrong everywhere, naming the ops and what to do; auto goes on to cpu', async () => {
    const explicit = new FakeRuntime({ webgpu: { wrongOutputs: ALL_WRONG } });
    const engine = await load(explicit, 'webgpu');
    try {
      const status = engine.status();
      expect(status).toMatchObject({ state: 'failed', provider: null });
      expect(status.reason).toMatch(/webgpu computes Conv with 9 input channels .*Reshape \+ InstanceNormalization.*MatMul \+ Softmax/);
      expect(status.reason).toMatch(/not used for this model.*--provider cpu always works/);
      // Refused before any of the model was opened on it.
      expect(explicit.attempts).toEqual(['provider self-test@cpu', 'provider self-test@webgpu']);
      await expect(engine.run(solidJob(), recordingContext())).rejects.toThrow(/webgpu computes/);
    } finally {
      await engine.dispose();
    }

    const auto = new FakeRuntime({ webgpu: { wrongOutputs: ['layer_norm'] } });
    const fallback = await load(auto, 'auto');
    try {
      expect(fallback.status()).toMatchObject({ state: 'ready', provider: 'cpu' });
      expect(fallback.status().providerCheck).toBeUndefined();
    } finally {
      await fallback.dispose();
    }
  });

  it('has no workaround for the conv bug outside WebGPU', async () => {
    const runtime = new FakeRuntime({ cuda: { wrongOutputs: ['conv9x3'] } });
    const engine = await load(runtime, 'cuda');
    try {
      expect(engine.status().state).toBe('failed');
      expect(engine.status().reason).toMatch(/^cuda computes Conv with 9 input channels/);
    } finally {
      await engine.dispose();
    }
  });

  it('a load that fails halfway releases what it opened: the next provider, or failed with the reason', async () => {
    const failVae = { failOpen: { message: 'out of memory while loading vae_decoder', labels: ['vae_decoder'] } };
    const auto = new FakeRuntime({ cuda: failVae });
    const engine = await load(auto, 'auto');
    try {
      expect(engine.status()).toMatchObject({ state: 'ready', provider: 'cpu' });
      expect(auto.attempts).toContain('vae_encoder@cuda');
      // Only the five CPU sessions are open: the cuda unet and vae_encoder were released.
      expect(auto.open).toBe(5);
    } finally {
      await engine.dispose();
    }
    expect(auto.open).toBe(0);

    const explicit = new FakeRuntime({ cuda: failVae });
    const failed = await load(explicit, 'cuda');
    try {
      expect(failed.status()).toMatchObject({ state: 'failed', provider: null, reason: expect.stringMatching(/out of memory while loading vae_decoder/) as unknown });
      expect(explicit.open).toBe(0);
    } finally {
      await failed.dispose();
    }
  });
});
