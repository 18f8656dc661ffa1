/**
 * The whole panel flow against the mocked Photoshop and the REAL service on an ephemeral port (classic engine, no
 * model): capture → multipart upload → polling → results → insert, plus cancel, a service-side refusal and a
 * service that comes up after the panel. The panel's network goes through UXP's rules (mock/uxp-environment): the
 * manifest's domains, and UXP's FormData in both of its modes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startService } from '../../service/main';
import type { RunningService } from '../../service/main';
import { HttpServiceClient } from '../../plugin/client/http-client';
import { toRgba } from '../../plugin/host/pixels';
import { PanelStore } from '../../plugin/state/store';
import type { PanelState } from '../../plugin/state/store';
import { generateTinySdxl, TOKENIZER_SKIP_MESSAGE, tokenizerFilesAvailable } from '../models/tiny-sdxl';
import { MemorySecrets, MemoryStorage } from './fake-service-client';
import { expectNoImageDataLeaks, featheredEllipse, firstDifference, setup } from './fixtures';
import { uxpFetch, uxpFormData } from './mock/uxp-environment';
import type { UxpFormDataMode } from './mock/uxp-environment';
import type { NetworkDomains } from '../../plugin/state/network-permission';
import type { Settings } from '../../plugin/state/settings';
import { adjustMask } from '../../core/mask-adjust';
import { planCapture } from '../../core/capture-plan';
import manifest from '../../manifest.json';

let service: RunningService;

beforeAll(async () => {
  service = await startService({ port: 0, host: '127.0.0.1', modelDir: null, quiet: true, logLevel: 'error' });
});

afterAll(async () => {
  await service?.close();
});

afterEach(() => {
  vi.unstubAllGlobals();
  expectNoImageDataLeaks();
});

/**
 * A panel on the mocked Photoshop whose fetch obeys UXP: only `domains` are reachable (default: the service's own
 * origin, as if the user had added it to the manifest), and FormData is UXP's in `mode`.
 */
function panel(url: string, doc = {}, options: { domains?: NetworkDomains; mode?: UxpFormDataMode } = {}) {
  vi.stubGlobal('FormData', uxpFormData(options.mode ?? 'types'));
  const ctx = setup({ width: 640, height: 480, selection: featheredEllipse({ x: 300, y: 200, width: 60, height: 48 }, 6), ...doc });
  const storage = new MemoryStorage();
  storage.setItem('genfill.serviceUrl', url);
  const domains = options.domains ?? [new URL(url).origin];
  const uxp = uxpFetch(domains);
  // Bodies the panel POSTs, so a test can show UXP's FormData (stubbed above) never carries the upload.
  const posted: unknown[] = [];
  const fetch: typeof uxp = (input, init) => {
    if (init?.method === 'POST') posted.push(init.body);
    return uxp(input, init);
  };
  const store = new PanelStore({
    host: ctx.host,
    createClient: (u, token) => new HttpServiceClient(u, { clientName: 'genfill-test', token, fetch }),
    storage,
    secrets: new MemorySecrets(),
    networkDomains: domains,
    pollMs: 20,
    retryMs: 50,
  });
  return { ...ctx, document: ctx.document!, store, posted };
}

async function until(store: PanelStore, predicate: (s: PanelState) => boolean, timeout = 30_000): Promise<void> {
  await vi.waitFor(() => expect(predicate(store.getState())).toBe(true), { timeout, interval: 10 });
}

describe('panel ↔ real service (classic engine)', () => {
  for (const mode of ['filenames', 'types'] as const) {
    it(`uploads through UXP's network rules with FormData that drops ${mode === 'types' ? 'filenames and part types' : 'filenames'}, and inserts a soft-edged result with the context settings`, async () => {
      const { ps, store, document, posted } = panel(service.url, {}, { mode });
      await store.start();
      expect(store.getState().connection.status).toBe('connected');
      const context: Partial<Settings> = { contextMode: 'pixels', contextPadding: 48, maskGrow: 4, maskFeather: 3 };
      const prompt = 'weathered planks, low tide — 潮 '.repeat(10).slice(0, 300);
      store.updateSettings({ prompt, variations: 1, ...context });
      await store.generate();
      const state = store.getState();
      expect(state.message).toBeNull();
      expect(state.job.phase).toBe('done');
      // The upload is the panel's own multipart body, one exact ArrayBuffer: UXP's FormData, in either mode, is unused.
      expect(posted).toHaveLength(1);
      expect(posted[0]).toBeInstanceOf(ArrayBuffer);
      if (state.job.phase !== 'done') return;
      // The service checked the crop by the same rule (core/capture-plan): no "differs from the context-crop rule";
      // the one warning is that the classic fill did not read the prompt, and how to add a model.
      expect(state.job.warnings).toEqual([expect.stringMatching(/^The prompt was not used: .*npx genfill model install/)]);

      expect(await store.insert(0)).toBe(true);
      const layer = document.layers.at(-1)!;
      const plan = planCapture({ width: 640, height: 480 }, { x: 300, y: 200, width: 60, height: 48 }, { contextPadding: 48, maskGrow: 4, maskFeather: 3 })!;
      expect(layer.raster).toMatchObject({ x: plan.crop.x, y: plan.crop.y, width: plan.crop.width, height: plan.crop.height });
      expect(layer.mask).toMatchObject({ x: plan.crop.x, y: plan.crop.y, width: plan.crop.width, height: plan.crop.height });
      // The layer mask is the selection grown by 4 and feathered by 3: soft everywhere along its edge, wider than drawn.
      const selection = Uint8Array.from({ length: plan.crop.width * plan.crop.height }, (_, i) =>
        document.selectionAt(plan.crop.x + (i % plan.crop.width), plan.crop.y + Math.floor(i / plan.crop.width)),
      );
      expect(firstDifference(layer.mask!.data, adjustMask(selection, plan.crop.width, plan.crop.height, plan.mask))).toBeNull();
      const soft = (data: Uint8Array) => data.filter((v) => v > 0 && v < 255).length;
      expect(soft(layer.mask!.data)).toBeGreaterThan(soft(selection));
      expect(layer.mask!.data.filter((v) => v > 0).length).toBeGreaterThan(selection.filter((v) => v > 0).length);
      expect(document.history.at(-1)).toMatch(/^Generative Fill: weathered planks/);
      expect([...ps.liveImageData]).toHaveLength(0);
      store.dispose();
    });
  }

  it('reports an address outside the manifest as blocked by Photoshop, not as a service that is not running', async () => {
    const { store, document } = panel(service.url, {}, { domains: manifest.requiredPermissions.network.domains });
    const before = document.fingerprint();
    await store.start();
    const { connection } = store.getState();
    expect(connection.status).toBe('blocked');
    expect(connection.status === 'blocked' && connection.message).toContain(`Add "${service.url}" to "requiredPermissions" → "network" → "domains" in manifest.json`);
    store.updateSettings({ variations: 1 });
    await store.generate();
    expect(store.getState().message?.text).toMatch(/Load the plugin again/);
    expect(document.fingerprint()).toBe(before);
    store.dispose();
  });

  it('fills the selection, survives a failed insert, inserts a variation as one masked layer, then another', async () => {
    const { ps, store, document } = panel(service.url);
    await store.start();
    expect(store.getState().connection.status).toBe('connected');
    store.updateSettings({ prompt: 'sand', variations: 2 });
    await store.generate();
    const state = store.getState();
    expect(state.message).toBeNull();
    expect(state.job.phase).toBe('done');
    if (state.job.phase !== 'done') return;
    expect(state.job.results).toHaveLength(2);
    expect(state.job.results.every((r) => r.thumbnailUrl !== null)).toBe(true);

    // An error mid-insert leaves the document as it was, and says so.
    const untouched = document.fingerprint();
    ps.failNext('putLayerMask', new Error('Could not complete the command because of a program error.'));
    expect(await store.insert(0)).toBe(false);
    expect(store.getState().message?.text).toMatch(/left unchanged.*program error/);
    expect(document.fingerprint()).toBe(untouched);

    const historyBefore = document.history.length;
    expect(await store.insert(0)).toBe(true);
    expect(store.getState().message).toBeNull();
    const layer = document.layers.at(-1)!;
    expect(layer.name).toBe(`sand (seed ${state.job.results[0].seed})`);
    const capture = ps.calls.find((c) => c.method === 'getPixels')!.sourceBounds!;
    expect(layer.raster).toMatchObject({ x: capture.left, y: capture.top, width: capture.right - capture.left, height: capture.bottom - capture.top });
    // The layer holds exactly the returned pixels.
    const returned = await new HttpServiceClient(service.url).result(state.job.jobId, 0);
    expect(firstDifference(layer.raster!.data, toRgba(returned))).toBeNull();
    // Its mask is the selection as it was at Generate, soft edge included.
    const mask = layer.mask!;
    expect(mask).toMatchObject({ x: capture.left, y: capture.top, width: capture.right - capture.left, height: capture.bottom - capture.top });
    const selection = Uint8Array.from({ length: mask.width * mask.height }, (_, i) => document.selectionAt(mask.x + (i % mask.width), mask.y + Math.floor(i / mask.width)));
    expect(firstDifference(mask.data, selection)).toBeNull();
    expect(mask.data.some((v) => v > 0 && v < 255)).toBe(true);
    expect(document.history.length).toBe(historyBefore + 1);
    expect(document.history.at(-1)).toMatch(/^Generative Fill: sand/);

    expect(await store.insert(1)).toBe(true);
    expect(document.layers).toHaveLength(3);
    expect(document.history.length).toBe(historyBefore + 2);
    expect([...ps.liveImageData]).toHaveLength(0);
    store.dispose();
  });

  it('cancel stops the job on the service and leaves the document unchanged', async () => {
    const { store, document } = panel(service.url, { width: 1400, height: 1000, selection: featheredEllipse({ x: 200, y: 150, width: 900, height: 700 }, 20) });
    await store.start();
    const before = document.fingerprint();
    let jobId: string | null = null;
    const unsubscribe = store.subscribe(() => {
      const job = store.getState().job;
      if (job.phase === 'running' && !job.cancelling && jobId === null) {
        jobId = job.jobId;
        void store.cancel();
      }
    });
    await store.generate();
    unsubscribe();
    expect(jobId).not.toBeNull();
    expect(store.getState().message?.text).toMatch(/cancelled/);
    const snapshot = await new HttpServiceClient(service.url).job(jobId!);
    expect(snapshot.state).toBe('cancelled');
    expect(document.fingerprint()).toBe(before);
    store.dispose();
  });

  it("shows the service's own error and leaves the document unchanged", async () => {
    const { store, document } = panel(service.url);
    await store.start();
    const before = document.fingerprint();
    store.updateSettings({ engine: 'sdxl' });
    await store.generate();
    expect(store.getState().message?.kind).toBe('error');
    expect(store.getState().message?.text).toMatch(/^The genfill service can't run this engine: .*sdxl/);
    expect(store.getState().job.phase).toBe('idle');
    expect(document.fingerprint()).toBe(before);
    store.dispose();
  });

  it('asks for the access token of a service that requires one, then works with it', async () => {
    const guarded = await startService({ port: 0, host: '127.0.0.1', modelDir: null, token: 'open sesame', quiet: true, logLevel: 'error' });
    const { store, document } = panel(guarded.url);
    try {
      await store.start();
      expect(store.getState().connection).toMatchObject({ status: 'incompatible', message: expect.stringMatching(/requires an access token/) });
      store.setService(guarded.url, 'open sesame');
      await until(store, (s) => s.connection.status === 'connected');
      store.updateSettings({ variations: 1 });
      await store.generate();
      expect(store.getState().message).toBeNull();
      expect(await store.insert(0)).toBe(true);
      expect(document.layers).toHaveLength(2);
    } finally {
      store.dispose();
      await guarded.close();
    }
  });

  it('connects by itself when the service starts after the panel', async () => {
    const port = await freePort();
    const { store } = panel(`http://127.0.0.1:${port}`);
    await store.start();
    expect(store.getState().connection.status).toBe('unreachable');
    const late = await startService({ port, host: '127.0.0.1', modelDir: null, quiet: true, logLevel: 'error' });
    try {
      await until(store, (s) => s.connection.status === 'connected', 10_000);
    } finally {
      store.dispose();
      await late.close();
    }
  });
});

describe.skipIf(!tokenizerFilesAvailable())('panel ↔ real service (sdxl engine, tiny generated model)', () => {
  let dir: string;
  let sdxl: RunningService;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genfill-plugin-tiny-'));
    const model = await generateTinySdxl(join(dir, 'model'), 'fp32');
    sdxl = await startService({ port: 0, host: '127.0.0.1', modelDir: model.dir, provider: 'cpu', quiet: true, logLevel: 'error' });
  });
  afterAll(async () => {
    await sdxl?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('generates with the sdxl engine and inserts the result', async () => {
    const client = new HttpServiceClient(sdxl.url);
    await vi.waitFor(async () => expect((await client.health()).engines.find((e) => e.name === 'sdxl')?.state).toBe('ready'), { timeout: 60_000, interval: 100 });
    const { ps, store, document } = panel(sdxl.url);
    await store.start();
    const { connection } = store.getState();
    expect(connection.status === 'connected' && connection.health.defaultEngine).toBe('sdxl');
    store.updateSettings({ prompt: 'a red square', engine: 'sdxl', steps: 2, variations: 1, seedMode: 'fixed', seed: 3 });
    await store.generate();
    const state = store.getState();
    expect(state.message).toBeNull();
    expect(state.job.phase === 'done' && state.job.results.map((r) => r.seed)).toEqual([3]);
    expect(await store.insert(0)).toBe(true);
    expect(document.layers.at(-1)!.name).toBe('a red square (seed 3)');
    expect([...ps.liveImageData]).toHaveLength(0);
    store.dispose();
  });
});

if (!tokenizerFilesAvailable()) console.warn(TOKENIZER_SKIP_MESSAGE);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
