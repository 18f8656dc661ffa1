import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../service/engines/engine';
import { createSdxlEngine } from '../../service/engines/sdxl/index';
import type { SdxlEngineOptions } from '../../service/engines/sdxl/index';
import { createOrtRuntime } from '../../service/runtime/ort-runtime';
import { tokenizerFilesAvailable } from '../models/tiny-sdxl';
import { FakeRuntime } from '../runtime/fake-runtime';
import { recordingContext, removeTinyModels, solidJob, tinyModel } from './fixtures';

afterAll(removeTinyModels);

function engineOn(runtime: SdxlEngineOptions['runtime'], options: Omit<SdxlEngineOptions, 'runtime' | 'lowMemory' | 'batchVariations'> & Partial<SdxlEngineOptions>): Engine {
  return createSdxlEngine({ lowMemory: false, batchVariations: true, runtime, ...options });
}

async function settled(engine: Engine): Promise<void> {
  while (engine.status().state === 'loading') await new Promise((resolve) => setTimeout(resolve, 5));
}

describe.skipIf(!tokenizerFilesAvailable())('createSdxlEngine', () => {
  it('loads in the background, reports provider and dtype, and runs jobs with reused sessions', async () => {
    const model = await tinyModel('fp16');
    const lines: string[] = [];
    const runtime = new FakeRuntime();
    const engine = engineOn(runtime, { modelDir: model.dir, provider: 'auto', lowMemory: true, batchVariations: false, log: (l) => lines.push(l) });
    try {
      expect(engine.name).toBe('sdxl');
      expect(engine.status()).toMatchObject({ name: 'sdxl', state: 'loading', model: model.dir });
      const context = recordingContext();
      const first = await engine.run(solidJob({ seeds: [1, 2] }), context);
      expect(context.events[0]).toMatchObject({ phase: 'loading', variation: null, step: 0 });
      expect(first.images.map((i) => i.seed)).toEqual([1, 2]);
      expect(engine.status()).toEqual({
        name: 'sdxl',
        state: 'ready',
        model: model.dir,
        provider: 'cpu',
        dtype: 'fp16',
        reason: null,
        identity: { name: basename(model.dir), format: 'onnx', weights: null },
      });
      const second = await engine.run(solidJob({ seeds: [1] }), recordingContext());
      expect(Buffer.from(second.images[0].rgb).equals(Buffer.from(first.images[0].rgb))).toBe(true);
      expect(lines.some((l) => l.includes('ready on cpu'))).toBe(true);
      // Each graph was opened once for both jobs; the text encoders (low memory: released after encoding) were not
      // reopened because the second job's prompt came from the cache.
      expect(runtime.attempts.sort()).toEqual(['text_encoder@cpu', 'text_encoder_2@cpu', 'unet@cpu', 'vae_decoder@cpu', 'vae_encoder@cpu']);
    } finally {
      await engine.dispose();
    }
  });

  it('runs concurrent requests one after another', async () => {
    const model = await tinyModel('fp32');
    const engine = engineOn(createOrtRuntime(), { modelDir: model.dir, provider: 'cpu' });
    try {
      const outputs = await Promise.all([1, 2, 3].map((seed) => engine.run(solidJob({ seeds: [seed] }), recordingContext())));
      expect(outputs.map((o) => o.images[0].seed)).toEqual([1, 2, 3]);
    } finally {
      await engine.dispose();
    }
  });

  it('fails with every folder problem in status() and run()', async () => {
    const engine = engineOn(createOrtRuntime(), { modelDir: '/nonexistent/genfill-model', provider: 'cpu' });
    await settled(engine);
    const status = engine.status();
    expect(status.state).toBe('failed');
    expect(status.reason).toMatch(/genfill-model does not exist \(a folder, a \.safetensors file, or a Hugging Face repo id/);
    await expect(engine.run(solidJob(), recordingContext())).rejects.toThrow(/does not exist/);
    await engine.dispose();
  });

  it('refuses a 4-channel UNet graph even when its config claims 9 channels', async () => {
    const model = await tinyModel('fp32', { fourChannelUnet: true });
    const configPath = join(model.dir, 'unet', 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(configPath, JSON.stringify({ ...config, in_channels: 9 }));
    const engine = engineOn(createOrtRuntime(), { modelDir: model.dir, provider: 'cpu' });
    await settled(engine);
    expect(engine.status().reason).toMatch(/unet takes 4 input channels: this is a text-to-image SDXL UNet/);
    await engine.dispose();
  });

  it('auto falls back from a GPU provider whose sessions cannot be created to cpu, logging why', async () => {
    const model = await tinyModel('fp32');
    const runtime = new FakeRuntime({ cuda: { failOpen: { message: 'libonnxruntime_providers_shared.so: cannot open shared object file' } } });
    const lines: string[] = [];
    const engine = engineOn(runtime, { modelDir: model.dir, provider: 'auto', log: (l) => lines.push(l) });
    try {
      await settled(engine);
      expect(engine.status()).toMatchObject({ state: 'ready', provider: 'cpu', reason: null });
      // The self-test opens the probe on CPU (the reference) and then on cuda, which fails: nothing of the model was
      // loaded on cuda.
      expect(runtime.attempts.slice(0, 2)).toEqual(['provider self-test@cpu', 'provider self-test@cuda']);
      expect(runtime.attempts.slice(2).every((a) => a.endsWith('@cpu'))).toBe(true);
      const fallback = lines.find((l) => l.startsWith('sdxl: cuda failed'));
      expect(fallback).toMatch(/execution provider "cuda" could not be used: libonnxruntime_providers_shared\.so.*trying the next provider/);
      expect(lines.at(-1)).toMatch(/ready on cpu/);
      const { images } = await engine.run(solidJob(), recordingContext());
      expect(images).toHaveLength(1);
    } finally {
      await engine.dispose();
    }
    expect(runtime.open).toBe(0);
  });

  it('auto does not reload the model on cpu when the model itself is refused', async () => {
    // The config claims 9 channels, so only the graph check (after the session opened) can refuse it.
    const model = await tinyModel('fp32', { fourChannelUnet: true });
    const configPath = join(model.dir, 'unet', 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(configPath, JSON.stringify({ ...config, in_channels: 9 }));
    // A GPU that works: the self-test passes, the session opens, and the 4-channel check refuses the graph.
    const runtime = new FakeRuntime({ cuda: {} });
    const engine = engineOn(runtime, { modelDir: model.dir, provider: 'auto' });
    try {
      await settled(engine);
      expect(engine.status()).toMatchObject({ state: 'failed' });
      expect(engine.status().reason).toMatch(/4 input channels/);
      expect(runtime.attempts).toEqual(['provider self-test@cpu', 'provider self-test@cuda', 'unet@cuda']);
      expect(runtime.open).toBe(0);
    } finally {
      await engine.dispose();
    }
  });

  it('names a provider that cannot be used and what to install', async () => {
    const model = await tinyModel('fp32');
    const engine = engineOn(createOrtRuntime('linux'), { modelDir: model.dir, provider: 'dml' });
    await settled(engine);
    expect(engine.status()).toMatchObject({ state: 'failed', provider: null });
    expect(engine.status().reason).toMatch(/execution provider "dml" could not be used/);
    await engine.dispose();
  });
});
