import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServiceError } from '../../plugin/client/service-client';
import { PanelStore } from '../../plugin/state/store';
import type { PanelState } from '../../plugin/state/store';
import { DEFAULT_SETTINGS } from '../../plugin/state/settings';
import type { NetworkDomains } from '../../plugin/state/network-permission';
import { countMasked } from '../../core/mask';
import { planCapture } from '../../core/capture-plan';
import { FakeServiceClient, healthy, MemorySecrets, MemoryStorage, unreachable } from './fake-service-client';
import { expectNoImageDataLeaks, featheredEllipse, setup } from './fixtures';

const stores: PanelStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.dispose();
  expectNoImageDataLeaks();
});

function make(options: { client?: FakeServiceClient; storage?: MemoryStorage; secrets?: MemorySecrets; doc?: boolean; pollMs?: number; networkDomains?: NetworkDomains } = {}) {
  const ctx = setup(options.doc === false ? undefined : { selection: featheredEllipse({ x: 500, y: 400, width: 100, height: 80 }) });
  const clients: FakeServiceClient[] = [];
  const tokens: (string | null)[] = [];
  const store = new PanelStore({
    host: ctx.host,
    createClient: (url: string, token: string | null) => {
      const client = clients.length === 0 && options.client ? options.client : new FakeServiceClient(url);
      tokens.push(token);
      clients.push(client);
      return client;
    },
    storage: options.storage ?? new MemoryStorage(),
    secrets: options.secrets ?? new MemorySecrets(),
    pollMs: options.pollMs ?? 1,
    retryMs: 5,
    networkDomains: options.networkDomains ?? 'all',
  });
  stores.push(store);
  return { ...ctx, store, client: () => clients[clients.length - 1], tokens };
}

async function until(store: PanelStore, predicate: (s: PanelState) => boolean): Promise<PanelState> {
  await vi.waitFor(() => expect(predicate(store.getState())).toBe(true), { timeout: 5000, interval: 2 });
  return store.getState();
}

describe('connection', () => {
  it('connects and shows the engine; follows the active document until disposed', async () => {
    const { store, ps } = make();
    await store.start();
    expect(store.getState().document).toMatchObject({ width: 1200, height: 900, hasSelection: true });
    const other = ps.open({ title: 'Other.psd', width: 300, height: 200, layers: [] });
    expect(store.getState().document).toMatchObject({ id: other.id, title: 'Other.psd', hasSelection: false });
    expect(ps.listenerCount).toBe(1);
    const { connection } = store.getState();
    expect(connection.status).toBe('connected');
    expect(connection.status === 'connected' && connection.health.defaultEngine).toBe('classic');
    store.dispose();
    await vi.waitFor(() => expect(ps.listenerCount).toBe(0));
  });

  it('says which side to update on a protocol mismatch', async () => {
    const newer = new FakeServiceClient();
    newer.health_ = healthy({ protocol: 2 as 1 });
    const a = make({ client: newer });
    await a.store.start();
    expect(a.store.getState().connection).toMatchObject({ status: 'incompatible', message: expect.stringMatching(/Update the Photoshop plugin/) });

    const older = new FakeServiceClient();
    older.health_ = healthy({ protocol: 0 as 1 });
    const b = make({ client: older });
    await b.store.start();
    expect(b.store.getState().connection).toMatchObject({ status: 'incompatible', message: expect.stringMatching(/Update the genfill service/) });
  });

  it('retries by itself until the service comes up', async () => {
    const client = new FakeServiceClient();
    client.health_ = unreachable();
    const { store } = make({ client });
    await store.start();
    expect(store.getState().connection).toMatchObject({ status: 'unreachable', message: expect.stringMatching(/not running at http:\/\/127\.0\.0\.1:7870/) });
    await vi.waitFor(() => expect(client.log.filter((l) => l === 'health').length).toBeGreaterThan(2), { timeout: 2000, interval: 2 });
    client.health_ = healthy();
    await until(store, (s) => s.connection.status === 'connected');
  });

  it('persists a changed service URL and rejects one that is not an address', async () => {
    const storage = new MemoryStorage();
    const { store } = make({ storage });
    await store.start();
    store.setService('http://192.168.1.5:9000/');
    expect(storage.getItem('genfill.serviceUrl')).toBe('http://192.168.1.5:9000');
    await until(store, (s) => s.connection.status === 'connected' && s.connection.url === 'http://192.168.1.5:9000');
    store.setService('my computer');
    expect(store.getState().message?.text).toMatch(/not a service address/);

    const again = make({ storage });
    expect(again.store.getState().connection.url).toBe('http://192.168.1.5:9000');
  });

  it('refuses an address the manifest does not allow, saying what to add; saves nothing', async () => {
    const storage = new MemoryStorage();
    const domains = ['http://127.0.0.1:7870', 'http://localhost:7870', 'http://*.studio.lan:7870'];
    const { store, client } = make({ storage, networkDomains: domains });
    await store.start();
    store.setService('http://192.168.1.20:7870/');
    const text = store.getState().message?.text ?? '';
    expect(text).toMatch(/Add "http:\/\/192\.168\.1\.20:7870" to "requiredPermissions" → "network" → "domains" in manifest\.json/);
    expect(text).toMatch(/Load the plugin again in the UXP Developer Tool \(Reload does not read the manifest again\)/);
    expect(text).toMatch(/not saved/);
    expect(storage.getItem('genfill.serviceUrl')).toBeNull();
    expect(store.getState().connection).toMatchObject({ status: 'connected', url: 'http://127.0.0.1:7870' });
    expect(client().url).toBe('http://127.0.0.1:7870');
    // Same origin in other spellings, and a listed wildcard, pass.
    store.setService('HTTP://LocalHost:7870');
    expect(storage.getItem('genfill.serviceUrl')).toBe('HTTP://LocalHost:7870');
    store.setService('http://gpu.studio.lan:7870');
    expect(storage.getItem('genfill.serviceUrl')).toBe('http://gpu.studio.lan:7870');
    store.setService('http://gpu.studio.lan:7871');
    expect(storage.getItem('genfill.serviceUrl')).toBe('http://gpu.studio.lan:7870');
  });

  it('says a blocked address is blocked, not that the service is not running, and does not retry it', async () => {
    const client = new FakeServiceClient('http://10.0.0.9:7870');
    client.health_ = new ServiceError('blocked', 'Photoshop blocked the request: Permission denied to the url http://10.0.0.9:7870/v1/health. Manifest entry not found.', null);
    const { store } = make({ client });
    await store.start();
    const { connection } = store.getState();
    expect(connection.status).toBe('blocked');
    expect(connection.status === 'blocked' && connection.message).toMatch(/Add "http:\/\/10\.0\.0\.9:7870" to .*manifest\.json/);
    expect(connection.status === 'blocked' && connection.message).not.toMatch(/not running/);
    const checks = client.log.filter((l) => l === 'health').length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(client.log.filter((l) => l === 'health').length).toBe(checks);
  });

  it('keeps the access token in secure storage, never in localStorage, and uses it from the next start', async () => {
    const storage = new MemoryStorage();
    const secrets = new MemorySecrets();
    const first = make({ storage, secrets });
    await first.store.start();
    first.store.setService('http://192.168.1.5:9000', ' s3cret-token ');
    await until(first.store, (s) => s.connection.status === 'connected');
    expect(first.tokens.at(-1)).toBe('s3cret-token');
    expect(secrets.items.get('genfill.serviceToken')).toBe('s3cret-token');
    expect([...storage.items.values()].some((value) => value.includes('s3cret'))).toBe(false);

    const next = make({ storage, secrets });
    await next.store.start();
    expect(next.tokens.at(-1)).toBe('s3cret-token');
    expect(next.store.getState().connection).toMatchObject({ status: 'connected', url: 'http://192.168.1.5:9000' });

    // Clearing the token removes it; a token that cannot be stored is refused in words, and a failed save is said.
    next.store.setService('http://192.168.1.5:9000', '');
    await vi.waitFor(() => expect(secrets.items.has('genfill.serviceToken')).toBe(false));
    next.store.setService('http://192.168.1.5:9000', 'naïve');
    expect(next.store.getState().message?.text).toMatch(/only letters, digits and ASCII punctuation/);
    secrets.failWrites = true;
    next.store.setService('http://192.168.1.5:9000', 'other');
    await until(next.store, (s) => /could not be saved/.test(s.message?.text ?? ''));
  });
});

describe('settings', () => {
  it('remembers every setting but the prompt for the next session', () => {
    const storage = new MemoryStorage();
    const { store } = make({ storage });
    store.updateSettings({ prompt: 'a boat', negativePrompt: 'blurry', variations: 5, scheduler: 'dpmpp_2m', source: 'layer', seedMode: 'fixed', seed: 77 });
    store.updateSettings({ contextMode: 'pixels', contextPadding: 96, maskGrow: 4, maskFeather: 6 });
    const again = make({ storage });
    expect(again.store.getState().settings).toEqual({
      ...DEFAULT_SETTINGS,
      negativePrompt: 'blurry',
      variations: 5,
      scheduler: 'dpmpp_2m',
      source: 'layer',
      seedMode: 'fixed',
      seed: 77,
      contextMode: 'pixels',
      contextPadding: 96,
      maskGrow: 4,
      maskFeather: 6,
    });
  });

  it('falls back to the defaults for a stored entry that is corrupt or from another version', () => {
    const storage = new MemoryStorage();
    storage.setItem('genfill.settings', JSON.stringify({ steps: 30, scheduler: 'lms', engine: 7, guidance: 'high', unknown: true }));
    expect(make({ storage }).store.getState().settings).toEqual({ ...DEFAULT_SETTINGS, steps: 30 });
    storage.setItem('genfill.settings', '{not json');
    expect(make({ storage }).store.getState().settings).toEqual(DEFAULT_SETTINGS);
  });
});

describe('generate → insert', () => {
  it('sends the crop, mask and settings, shows progress, then inserts variations', async () => {
    const { ps, store, document, client } = make();
    await store.start();
    let requests = 0;
    client().onRequest = () => {
      requests++;
      // No modal scope is held across the network: Photoshop stays usable while the service works.
      expect(ps.isModal).toBe(false);
    };
    store.updateSettings({ prompt: '  a red boat ' });
    const running = store.generate();
    const during = await until(store, (s) => s.job.phase === 'running' && s.job.previewUrl !== null);
    expect(during.job.phase === 'running' && during.job.progress?.steps).toBe(20);
    await running;

    const state = store.getState();
    expect(state.job.phase).toBe('done');
    if (state.job.phase !== 'done') return;
    expect(state.job.results.map((r) => r.seed)).toEqual([1234, 1235, 1236]);
    expect(state.job.results.every((r) => r.thumbnailUrl?.startsWith('blob:'))).toBe(true);

    const request = client().requests[0];
    expect(request.params).toMatchObject({ prompt: 'a red boat', variations: 3, seed: null, engine: 'auto', emptyPrompt: 'generate', scheduler: 'euler' });
    // A blank negative prompt is no negative prompt (zero embeddings), not an encoded "".
    expect('negativePrompt' in request.params).toBe(false);
    expect(request.params.placement?.document).toEqual({ width: 1200, height: 900 });
    expect(request.image.width).toBe(request.params.placement?.crop.width);
    expect(request.mask).toMatchObject({ width: request.image.width, height: request.image.height, channels: 1 });

    const historyBefore = document!.history.length;
    expect(await store.insert(1)).toBe(true);
    expect(document!.layers.at(-1)!.name).toBe('a red boat (seed 1235)');
    expect(await store.insert(0)).toBe(true);
    expect(document!.history.length).toBe(historyBefore + 2);
    const after = store.getState().job;
    expect(after.phase === 'done' && after.results.map((r) => r.inserted)).toEqual([true, true, false]);
    await store.insertAll();
    expect(document!.layers).toHaveLength(6);
    expect(requests).toBeGreaterThan(5);
    expect([...ps.liveImageData]).toHaveLength(0);
  });

  it('cancels on the service and leaves the document unchanged', async () => {
    const client = new FakeServiceClient();
    client.holdUntilCancelled = true;
    const { ps, store, document } = make({ client });
    await store.start();
    const before = document!.fingerprint();
    const running = store.generate();
    await until(store, (s) => s.job.phase === 'running');
    await store.cancel();
    await running;
    expect(client.log).toContain('cancel job1');
    expect(store.getState().job.phase).toBe('idle');
    expect(store.getState().message).toEqual({ kind: 'info', text: expect.stringMatching(/cancelled/) });
    expect(document!.fingerprint()).toBe(before);
    expect([...ps.liveImageData]).toHaveLength(0);
  });

  it('shows the results as soon as the job succeeds: insertable before the thumbnails arrive, no more Cancel', async () => {
    const client = new FakeServiceClient();
    let release = () => undefined as void;
    client.thumbnailsHeld = new Promise((resolve) => (release = resolve));
    const { store, document } = make({ client });
    await store.start();
    const running = store.generate();
    const done = await until(store, (s) => s.job.phase === 'done');
    expect(done.job.phase === 'done' && done.job.results.map((r) => r.thumbnailUrl)).toEqual([null, null, null]);
    // A Cancel now would delete the finished job (and its results) on the service: it must not be sent.
    await store.cancel();
    expect(client.log.some((l) => l.startsWith('cancel'))).toBe(false);
    expect(await store.insert(2)).toBe(true);
    expect(document!.layers.at(-1)!.name).toBe('Fill from surroundings (seed 1236)');
    release();
    await running;
    const after = store.getState().job;
    expect(after.phase === 'done' && after.results.map((r) => [r.thumbnailUrl?.startsWith('blob:'), r.inserted])).toEqual([
      [true, false],
      [true, false],
      [true, true],
    ]);
  });

  it('dispose stops the poll loop at once, clearing its timer, and cancels the job on the service', async () => {
    const client = new FakeServiceClient();
    client.holdUntilCancelled = true;
    const { store } = make({ client, pollMs: 600_000 });
    await store.start();
    const running = store.generate();
    await until(store, (s) => s.job.phase === 'running' && s.job.progress !== null);
    const polls = client.log.filter((l) => l === 'job').length;
    store.dispose();
    // Without clearing, generate() would wait out the ten-minute poll interval (and the test time out).
    await running;
    expect(client.log.filter((l) => l === 'job').length).toBe(polls);
    expect(client.log.filter((l) => l.startsWith('cancel '))).toHaveLength(1);
  });

  it('closing the panel while the upload is in flight cancels the job it created, and follows nothing', async () => {
    const client = new FakeServiceClient();
    const { store } = make({ client });
    await store.start();
    client.onRequest = () => {
      if (client.log.at(-1) === 'createJob') store.dispose();
    };
    await store.generate();
    expect(client.log.filter((l) => l.startsWith('cancel '))).toEqual(['cancel job1']);
    expect(client.log).not.toContain('job');
  });

  it('shows the service error when the job fails, document unchanged', async () => {
    const client = new FakeServiceClient();
    client.outcome = 'failed';
    const { store, document } = make({ client });
    await store.start();
    const before = document!.fingerprint();
    await store.generate();
    expect(store.getState().message).toEqual({ kind: 'error', text: expect.stringMatching(/ran out of memory/) });
    expect(document!.fingerprint()).toBe(before);
  });

  it('says the service is busy when its queue is full', async () => {
    const client = new FakeServiceClient();
    client.createError = new ServiceError('queue_full', 'the queue is full (4 jobs)', 429);
    const { store } = make({ client });
    await store.start();
    await store.generate();
    expect(store.getState().message?.text).toMatch(/busy with other jobs/);
    expect(store.getState().job.phase).toBe('idle');
  });

  it('marks the service unreachable when it goes away mid-job, and reconnects', async () => {
    const client = new FakeServiceClient();
    const { store } = make({ client });
    await store.start();
    client.createError = unreachable();
    client.health_ = unreachable();
    await store.generate();
    expect(store.getState().connection.status).toBe('unreachable');
    expect(store.getState().message?.text).toMatch(/not running/);
    client.health_ = healthy();
    await until(store, (s) => s.connection.status === 'connected');
  });

  it('turns host refusals into messages without calling the service', async () => {
    const { store, ps, client } = make();
    await store.start();
    ps.active!.selectionData = null;
    await store.generate();
    expect(store.getState().message?.text).toMatch(/Make a selection/);
    expect(client().log).not.toContain('createJob');
  });

  it('refuses bad settings in words, reading nothing', async () => {
    const { store, ps } = make();
    await store.start();
    store.updateSettings({ steps: 0, seedMode: 'fixed', seed: Number.NaN });
    await store.generate();
    expect(store.getState().message?.text).toMatch(/Steps must be a whole number from 1 to 150 \(it is 0\)\. Seed must be .* \(it is empty\)/);
    expect(ps.calls).toHaveLength(0);
  });

  it('refuses to insert into a closed document and rolls back a failed insert', async () => {
    const { store, ps, document } = make();
    await store.start();
    await store.generate();
    const before = document!.fingerprint();
    ps.failNext('putLayerMask', new Error('Could not complete the command because of a program error.'));
    expect(await store.insert(0)).toBe(false);
    expect(store.getState().message?.text).toMatch(/left unchanged.*program error/);
    expect(document!.fingerprint()).toBe(before);

    ps.close(document!);
    expect(await store.insert(0)).toBe(false);
    expect(store.getState().message?.text).toMatch(/was closed/);
    expect(store.getState().document).toBeNull();
  });

  it('reuses a result seed', async () => {
    const { store } = make();
    await store.start();
    await store.generate();
    store.reuseSeed(2);
    expect(store.getState().settings).toMatchObject({ seedMode: 'fixed', seed: 1236 });
  });

  it('plans the capture with the context settings: padding, grown and feathered mask, placement the service can check', async () => {
    const { store, client, ps } = make();
    await store.start();
    store.updateSettings({ contextMode: 'pixels', contextPadding: 40, maskGrow: 6, maskFeather: 3 });
    await store.generate();
    expect(store.getState().message).toBeNull();
    const request = client().requests[0];
    const selection = { x: 500, y: 400, width: 100, height: 80 };
    const plan = planCapture({ width: 1200, height: 900 }, selection, { contextPadding: 40, maskGrow: 6, maskFeather: 3 })!;
    expect(request.params.placement).toEqual({ document: { width: 1200, height: 900 }, crop: plan.crop, selection: plan.maskBounds, contextPadding: 40 });
    expect(ps.calls.find((c) => c.method === 'getPixels')?.sourceBounds).toEqual({ left: plan.crop.x, top: plan.crop.y, right: plan.crop.x + plan.crop.width, bottom: plan.crop.y + plan.crop.height });
    // The mask sent is the selection grown and feathered: more pixels, and a wider soft edge.
    const { mask } = request;
    const original = ps.active!;
    let selected = 0;
    for (let y = 0; y < mask.height; y++) for (let x = 0; x < mask.width; x++) if (original.selectionAt(plan.crop.x + x, plan.crop.y + y) > 0) selected++;
    expect(countMasked(mask.data)).toBeGreaterThan(selected);
    // Inserted with the same mask.
    expect(await store.insert(0)).toBe(true);
    expect([...original.layers.at(-1)!.mask!.data]).toEqual([...mask.data]);
    // Invalid numbers are refused in words before anything is read.
    ps.calls.length = 0;
    store.updateSettings({ maskFeather: 999 });
    await store.generate();
    expect(store.getState().message?.text).toMatch(/Mask feather \(px\) must be a whole number from 0 to 256 \(it is 999\)/);
    expect(ps.calls).toHaveLength(0);
  });

  it("shows the job's warnings with the results", async () => {
    const client = new FakeServiceClient();
    client.warnings = ['the prompt was not used: the classic content-aware fill answered. To generate from prompts, add the model: npx genfill model install'];
    const { store } = make({ client });
    await store.start();
    await store.generate();
    const { job } = store.getState();
    // Shown as sentences.
    expect(job.phase === 'done' && job.warnings).toEqual(['The prompt was not used: the classic content-aware fill answered. To generate from prompts, add the model: npx genfill model install']);
  });

  it('keeps the variations that finished before a cancel, ready to insert', async () => {
    const client = new FakeServiceClient();
    client.holdUntilCancelled = true;
    client.finishedBeforeCancel = 2;
    const { store, document } = make({ client });
    await store.start();
    const running = store.generate();
    await until(store, (s) => s.job.phase === 'running');
    await store.cancel();
    await running;
    const { job, message } = store.getState();
    expect(job.phase === 'done' && job.results.map((r) => r.seed)).toEqual([1234, 1235]);
    expect(message).toEqual({ kind: 'info', text: 'Generation cancelled; 2 variations had finished and can be inserted.' });
    expect(await store.insert(1)).toBe(true);
    expect(document!.layers.at(-1)!.name).toBe('Fill from surroundings (seed 1235)');
  });

  it('sends a negative prompt and the remove mode when the user sets them', async () => {
    const { store, client } = make();
    await store.start();
    expect(DEFAULT_SETTINGS).toMatchObject({ softInpainting: true, colorMatch: true });
    store.updateSettings({ prompt: '', negativePrompt: ' blurry ', emptyPrompt: 'remove', softInpainting: false, colorMatch: false });
    await store.generate();
    expect(client().requests[0].params).toMatchObject({ prompt: '', negativePrompt: 'blurry', emptyPrompt: 'remove', softInpainting: false, colorMatch: false });
  });
});
