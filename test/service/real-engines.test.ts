/** Full jobs on the real engines: classic (PatchMatch) and sdxl on tiny generated models. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickWorkingSize } from '../../core/geometry';
import { ROUTES } from '../../core/protocol';
import { generateTinySdxl, TOKENIZER_SKIP_MESSAGE, tokenizerFilesAvailable } from '../models/tiny-sdxl';
import { expectUnmaskedIdentical, makeCrop, rawJobForm, startTestService, submit, waitForHealth, waitForJob } from './helpers';

async function rawResult(url: string, id: string, index: number): Promise<Uint8Array> {
  const res = await fetch(`${url}${ROUTES.result(id, index)}?format=raw`);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

describe('classic engine (real PatchMatch) over HTTP', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    service = await startTestService({ engineModule: null });
  });
  afterAll(async () => {
    await service.close();
  });

  it('fills a hole: two variations with their seeds, crop-sized, unmasked pixels untouched', async () => {
    const crop = makeCrop(96, 72, 3);
    const created = await submit(service.url, rawJobForm(crop, { prompt: '', engine: 'classic', seed: 11, variations: 2 }));
    const seen = await waitForJob(service.url, created.id);
    const final = seen.at(-1)!;
    expect(final.state, JSON.stringify(final.error)).toBe('succeeded');
    expect(final.engine).toBe('classic');
    expect(final.workingSize).toEqual({ width: 96, height: 72 });
    expect(final.results.map((r) => [r.seed, r.width, r.height])).toEqual([
      [11, 96, 72],
      [12, 96, 72],
    ]);
    for (const result of final.results) expectUnmaskedIdentical(crop, await rawResult(service.url, created.id, result.index));
  });

  it('reports sdxl as unavailable with the export command when no model is configured', async () => {
    const health = await waitForHealth(service.url, (h) => h.engines.every((e) => e.state !== 'loading'));
    const sdxl = health.engines.find((e) => e.name === 'sdxl')!;
    expect(sdxl.state).toBe('unavailable');
    expect(sdxl.reason).toContain('optimum-cli export onnx --model diffusers/stable-diffusion-xl-1.0-inpainting-0.1 --task inpainting');
    expect(health.defaultEngine).toBe('classic');
  });
});

describe.skipIf(!tokenizerFilesAvailable())('sdxl engine on a tiny generated model over HTTP', () => {
  let dir: string;
  let service: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genfill-tiny-'));
    const model = await generateTinySdxl(join(dir, 'model'), 'fp32');
    service = await startTestService({ engineModule: null, modelDir: model.dir, provider: 'cpu' });
  });
  afterAll(async () => {
    await service?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads, becomes the default engine and runs a job at the working bucket', async () => {
    const health = await waitForHealth(service.url, (h) => h.engines.find((e) => e.name === 'sdxl')?.state !== 'loading');
    const sdxl = health.engines.find((e) => e.name === 'sdxl')!;
    expect(sdxl.state, sdxl.reason ?? '').toBe('ready');
    expect(health.defaultEngine).toBe('sdxl');

    const crop = makeCrop(80, 64, 3);
    const created = await submit(service.url, rawJobForm(crop, { prompt: 'a red square', steps: 2, variations: 1, seed: 3 }));
    const final = (await waitForJob(service.url, created.id)).at(-1)!;
    expect(final.state, JSON.stringify(final.error)).toBe('succeeded');
    expect(final.engine).toBe('sdxl');
    expect(final.workingSize).toEqual(pickWorkingSize({ width: 80, height: 64 }));
    expect(final.results[0]).toMatchObject({ seed: 3, width: 80, height: 64 });
    expectUnmaskedIdentical(crop, await rawResult(service.url, created.id, 0));
  });
});

if (!tokenizerFilesAvailable()) console.warn(TOKENIZER_SKIP_MESSAGE);
