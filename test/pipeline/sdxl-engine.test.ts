import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../service/engines/engine';
import { createSdxlEngine } from '../../service/engines/sdxl/index';
import { tokenizerFilesAvailable } from '../models/tiny-sdxl';
import { recordingContext, removeTinyModels, solidJob, tinyModel } from './fixtures';

afterAll(removeTinyModels);

async function settled(engine: Engine): Promise<void> {
  while (engine.status().state === 'loading') await new Promise((resolve) => setTimeout(resolve, 5));
}

describe.skipIf(!tokenizerFilesAvailable())('createSdxlEngine', () => {
  it('loads in the background, reports provider and dtype, and runs jobs with reused sessions', async () => {
    const model = await tinyModel('fp16');
    const lines: string[] = [];
    const engine = createSdxlEngine({ modelDir: model.dir, provider: 'auto', lowMemory: true, batchVariations: false, log: (l) => lines.push(l) });
    try {
      expect(engine.name).toBe('sdxl');
      expect(engine.status()).toMatchObject({ name: 'sdxl', state: 'loading', model: model.dir });
      const context = recordingContext();
      const first = await engine.run(solidJob({ seeds: [1, 2] }), context);
      expect(context.events[0]).toMatchObject({ phase: 'loading', variation: null, step: 0 });
      expect(first.images.map((i) => i.seed)).toEqual([1, 2]);
      expect(engine.status()).toEqual({ name: 'sdxl', state: 'ready', model: model.dir, provider: 'cpu', dtype: 'fp16', reason: null });
      const second = await engine.run(solidJob({ seeds: [1] }), recordingContext());
      expect(Buffer.from(second.images[0].rgb).equals(Buffer.from(first.images[0].rgb))).toBe(true);
      expect(lines.some((l) => l.includes('ready on cpu'))).toBe(true);
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
    expect(status.reason).toMatch(/does not exist or is not a folder/);
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

  it('names a provider that cannot be used and what to install', async () => {
    const model = await tinyModel('fp32');
    const engine = createSdxlEngine({ modelDir: model.dir, provider: 'dml', lowMemory: false, batchVariations: true });
    await settled(engine);
    expect(engine.status()).toMatchObject({ state: 'failed', provider: null });
    expect(engine.status().reason).toMatch(/execution provider "dml" could not be used/);
    await engine.dispose();
  });
});
