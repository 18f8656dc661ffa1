import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Engine } from '../../service/engines/engine';
import { createSdxlEngine } from '../../service/engines/sdxl/index';
import { providerCandidates, providerProblem } from '../../service/runtime/providers';
import type * as Providers from '../../service/runtime/providers';
import { ModelSession, ProviderError } from '../../service/runtime/session';
import { tokenizerFilesAvailable } from '../models/tiny-sdxl';
import { recordingContext, removeTinyModels, solidJob, tinyModel } from './fixtures';

// `auto` only tries providers whose libraries are installed; the fallback test pretends CUDA's are.
vi.mock('../../service/runtime/providers', async (importOriginal) => {
  const actual = await importOriginal<typeof Providers>();
  return { ...actual, providerCandidates: vi.fn(actual.providerCandidates) };
});

afterAll(removeTinyModels);
afterEach(() => vi.restoreAllMocks());

/** Counts ModelSession.create calls per graph label. */
function countSessions(): Map<string, number> {
  const counts = new Map<string, number>();
  const original = ModelSession.create.bind(ModelSession);
  vi.spyOn(ModelSession, 'create').mockImplementation((path, options) => {
    counts.set(options.label, (counts.get(options.label) ?? 0) + 1);
    return original(path, options);
  });
  return counts;
}

async function settled(engine: Engine): Promise<void> {
  while (engine.status().state === 'loading') await new Promise((resolve) => setTimeout(resolve, 5));
}

describe.skipIf(!tokenizerFilesAvailable())('createSdxlEngine', () => {
  it('loads in the background, reports provider and dtype, and runs jobs with reused sessions', async () => {
    const model = await tinyModel('fp16');
    const lines: string[] = [];
    const sessions = countSessions();
    const engine = createSdxlEngine({ modelDir: model.dir, provider: 'auto', lowMemory: true, batchVariations: false, log: (l) => lines.push(l) });
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
      expect(Object.fromEntries(sessions)).toEqual({ unet: 1, vae_encoder: 1, vae_decoder: 1, text_encoder: 1, text_encoder_2: 1 });
    } finally {
      await engine.dispose();
    }
  });

  it('runs concurrent requests one after another', async () => {
    const model = await tinyModel('fp32');
    const engine = createSdxlEngine({ modelDir: model.dir, provider: 'cpu', lowMemory: false, batchVariations: true });
    try {
      const outputs = await Promise.all([1, 2, 3].map((seed) => engine.run(solidJob({ seeds: [seed] }), recordingContext())));
      expect(outputs.map((o) => o.images[0].seed)).toEqual([1, 2, 3]);
    } finally {
      await engine.dispose();
    }
  });

  it('fails with every folder problem in status() and run()', async () => {
    const engine = createSdxlEngine({ modelDir: '/nonexistent/genfill-model', provider: 'cpu', lowMemory: false, batchVariations: true });
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
    const engine = createSdxlEngine({ modelDir: model.dir, provider: 'cpu', lowMemory: false, batchVariations: true });
    await settled(engine);
    expect(engine.status().reason).toMatch(/unet takes 4 input channels: this is a text-to-image SDXL UNet/);
    await engine.dispose();
  });

  it('auto falls back from a GPU provider whose sessions cannot be created to cpu, logging why', async () => {
    const model = await tinyModel('fp32');
    vi.mocked(providerCandidates).mockReturnValueOnce(['cuda', 'cpu']);
    const original = ModelSession.create.bind(ModelSession);
    const attempts: string[] = [];
    vi.spyOn(ModelSession, 'create').mockImplementation((path, options) => {
      attempts.push(`${options.label}@${options.provider}`);
      if (options.provider !== 'cuda') return original(path, options);
      const cause = new Error('libonnxruntime_providers_shared.so: cannot open shared object file');
      return Promise.reject(new ProviderError(providerProblem('cuda', cause, 'linux'), { cause }));
    });
    const lines: string[] = [];
    const engine = createSdxlEngine({ modelDir: model.dir, provider: 'auto', lowMemory: false, batchVariations: true, log: (l) => lines.push(l) });
    try {
      await settled(engine);
      expect(engine.status()).toMatchObject({ state: 'ready', provider: 'cpu', reason: null });
      expect(attempts[0]).toBe('unet@cuda');
      expect(attempts.slice(1).every((a) => a.endsWith('@cpu'))).toBe(true);
      const fallback = lines.find((l) => l.startsWith('sdxl: cuda failed'));
      expect(fallback).toMatch(/execution provider "cuda" could not be used: libonnxruntime_providers_shared\.so.*trying the next provider/);
      expect(lines.at(-1)).toMatch(/ready on cpu/);
      const { images } = await engine.run(solidJob(), recordingContext());
      expect(images).toHaveLength(1);
    } finally {
      await engine.dispose();
    }
  });

  it('auto does not reload the model on cpu when the model itself is refused', async () => {
    // The config claims 9 channels, so only the graph check (after the session opened) can refuse it.
    const model = await tinyModel('fp32', { fourChannelUnet: true });
    const configPath = join(model.dir, 'unet', 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(configPath, JSON.stringify({ ...config, in_channels: 9 }));
    vi.mocked(providerCandidates).mockReturnValueOnce(['cuda', 'cpu']);
    const original = ModelSession.create.bind(ModelSession);
    const attempts: string[] = [];
    // A GPU that works: the session opens (on cpu underneath), and the 4-channel check refuses the graph.
    vi.spyOn(ModelSession, 'create').mockImplementation((path, options) => {
      attempts.push(`${options.label}@${options.provider}`);
      return original(path, { ...options, provider: 'cpu' });
    });
    const engine = createSdxlEngine({ modelDir: model.dir, provider: 'auto', lowMemory: false, batchVariations: true });
    try {
      await settled(engine);
      expect(engine.status()).toMatchObject({ state: 'failed' });
      expect(engine.status().reason).toMatch(/4 input channels/);
      expect(attempts).toEqual(['unet@cuda']);
    } finally {
      await engine.dispose();
    }
  });

  it('names a provider that cannot be used and what to install', async () => {
    const model = await tinyModel('fp32');
    const engine = createSdxlEngine({ modelDir: model.dir, provider: 'dml', lowMemory: false, batchVariations: true });
    await settled(engine);
    expect(engine.status()).toMatchObject({ state: 'failed', provider: null });
    expect(engine.status().reason).toMatch(/execution provider "dml" could not be used/);
    await engine.dispose();
  });
});
