// --graph-dtype auto|fp32|fp16: which compute precision the built graphs get, decided per provider inside the
// provider loop (fake GPU providers, the golden kit's diffusers folder); an ONNX export is loaded as it is.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../core/protocol';
import { createSdxlEngine } from '../../service/engines/sdxl/index';
import type { SdxlEngineOptions } from '../../service/engines/sdxl/index';
import { GRAPH_DTYPES, graphCompute } from '../../service/models/graph-precision';
import { GOLDEN_DIFFUSERS, GOLDEN_SKIP_MESSAGE, haveGolden } from '../graphs/golden';
import { tempDirs } from '../graphs/temp-dirs';
import { tokenizerFilesAvailable } from '../models/tiny-sdxl';
import { removeTinyModels, tinyModel } from '../pipeline/fixtures';
import { FakeRuntime } from '../runtime/fake-runtime';

if (!haveGolden) console.warn(GOLDEN_SKIP_MESSAGE);
afterAll(removeTinyModels);
const temp = tempDirs('genfill-graph-dtype');

describe('graphCompute', () => {
  it('auto: fp16 on every GPU provider, fp32 on cpu; fp32 and fp16 mean themselves everywhere', () => {
    const table = GRAPH_DTYPES.map((setting) => [setting, (['cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const).map((p) => graphCompute(setting, p))]);
    expect(table).toEqual([
      ['auto', ['float32', 'float16', 'float16', 'float16', 'float16']],
      ['fp32', ['float32', 'float32', 'float32', 'float32', 'float32']],
      ['fp16', ['float16', 'float16', 'float16', 'float16', 'float16']],
    ]);
  });
});

describe.skipIf(!haveGolden || !tokenizerFilesAvailable())('the sdxl engine builds graphs for the provider that runs them', () => {
  let cache: string;
  let previous: string | undefined;
  beforeEach(() => {
    previous = process.env.GENFILL_CACHE_DIR;
    cache = temp();
    process.env.GENFILL_CACHE_DIR = cache;
  });
  afterEach(() => {
    if (previous === undefined) delete process.env.GENFILL_CACHE_DIR;
    else process.env.GENFILL_CACHE_DIR = previous;
  });

  /** Loads `modelDir` and returns the settled status, the folders the log says were loaded, and the runtime. */
  async function load(runtime: FakeRuntime, options: Pick<SdxlEngineOptions, 'provider' | 'graphDtype'> & { modelDir?: string }) {
    const lines: string[] = [];
    const engine = createSdxlEngine({ modelDir: GOLDEN_DIFFUSERS, lowMemory: false, batchVariations: true, runtime, log: (l) => lines.push(l), ...options });
    while (engine.status().state === 'loading') await new Promise((resolve) => setTimeout(resolve, 5));
    const status: EngineStatus = engine.status();
    await engine.dispose();
    expect(runtime.open).toBe(0);
    const loaded = lines.flatMap((l) => /^sdxl: loading (.*) on (\w+)$/.exec(l)?.slice(1, 3).join(' on ') ?? []);
    return { status, loaded };
  }

  it('auto on a GPU provider loads fp16-compute graphs (VAE fp32), and says so in status', async () => {
    const { status, loaded } = await load(new FakeRuntime({ cuda: {} }), { provider: 'auto' });
    expect(status).toMatchObject({ state: 'ready', provider: 'cuda', dtype: 'fp16 (VAE fp32)', identity: { format: 'diffusers', weights: 'fp32' } });
    expect(loaded).toEqual([expect.stringMatching(new RegExp(`^${join(cache, 'graphs')}/\\w+ on cuda$`))]);
  });

  it('auto falling back to cpu loads fp32 graphs, built then, beside the fp16 ones the GPU failed with', async () => {
    const runtime = new FakeRuntime({ cuda: { failOpen: { message: 'out of memory while loading vae_decoder', labels: ['vae_decoder'] } } });
    const { status, loaded } = await load(runtime, { provider: 'auto' });
    expect(status).toMatchObject({ state: 'ready', provider: 'cpu', dtype: 'fp32' });
    expect(runtime.attempts).toContain('vae_decoder@cuda');
    expect(loaded).toHaveLength(2);
    const [onGpu, onCpu] = loaded.map((l) => l.split(' on ')[0]);
    expect(onGpu).not.toBe(onCpu);
    for (const dir of [onGpu, onCpu]) expect(existsSync(join(dir, 'unet', 'model.onnx'))).toBe(true);
  });

  it('a provider the self-test refuses costs no graph folder: only the fp32 one for cpu is built', async () => {
    const { status, loaded } = await load(new FakeRuntime({ cuda: { wrongOutputs: ['attention'] } }), { provider: 'auto' });
    expect(status).toMatchObject({ state: 'ready', provider: 'cpu', dtype: 'fp32' });
    expect(loaded).toEqual([expect.stringMatching(/ on cpu$/)]);
    expect(readdirSync(join(cache, 'graphs')).filter((d) => !d.startsWith('.'))).toHaveLength(1);
  });

  it('explicit settings are respected: fp32 on a GPU provider, fp16 on cpu', async () => {
    const fp32 = await load(new FakeRuntime({ cuda: {} }), { provider: 'cuda', graphDtype: 'fp32' });
    expect(fp32.status).toMatchObject({ state: 'ready', provider: 'cuda', dtype: 'fp32' });
    const fp16 = await load(new FakeRuntime(), { provider: 'cpu', graphDtype: 'fp16' });
    expect(fp16.status).toMatchObject({ state: 'ready', provider: 'cpu', dtype: 'fp16 (VAE fp32)' });
  });

  it('an ONNX export is loaded as it is, whatever the setting and provider', async () => {
    const model = await tinyModel('fp32');
    for (const graphDtype of ['auto', 'fp16'] as const) {
      const { status, loaded } = await load(new FakeRuntime({ cuda: {} }), { modelDir: model.dir, provider: 'auto', graphDtype });
      expect(status).toMatchObject({ state: 'ready', provider: 'cuda', dtype: 'fp32', identity: { format: 'onnx' } });
      expect(loaded).toEqual([`${model.dir} on cuda`]);
    }
    expect(existsSync(join(cache, 'graphs'))).toBe(false);
  });
});
