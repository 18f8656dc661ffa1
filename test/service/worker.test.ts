import * as workerThreads from 'node:worker_threads';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Health, JobParams } from '../../core/protocol';
import { ROUTES } from '../../core/protocol';
import type { EngineName } from '../../core/params';
import { CancelledError } from '../../service/errors';
import { createApp } from '../../service/http/app';
import type { Pixels } from '../../service/imaging/pixels';
import { JobQueue } from '../../service/jobs/queue';
import { inpaintRegion, type RegionJob, type RegionOutput } from '../../service/jobs/region';
import { silentLogger } from '../../service/log';
import { CancelFlag } from '../../service/worker/cancel-flag';
import { DecodeWorkerHost } from '../../service/worker/decode-host';
import { EngineWorkerHost, WorkerCrashedError, type EngineRunner, type RunOptions } from '../../service/worker/engine-host';
import { createEngines } from './fake-engines';
import { cropAsPng, FAKE_ENGINE_MODULE, jobForm, makeCrop, movesWhenPosted, multipart, MULTIPART_TYPE, rawJobForm, serveApp, startTestService, submit, waitForJob } from './helpers';

type Service = Awaited<ReturnType<typeof startTestService>>;

/** A one-step job for the fake engines (the prompt picks their behaviour); the working size defaults to the crop's. */
function regionJob(image: Pixels, mask: Pixels, prompt: string, seeds: number[], working = { width: image.width, height: image.height }): RegionJob {
  const settings = { negativePrompt: undefined, steps: 1, guidance: 1, guidanceRescale: 0, strength: 1, scheduler: 'euler' as const };
  return { image, mask, working, prompt, seeds, ...settings, softInpainting: false, colourMatch: false, prefill: false };
}
const crop = makeCrop(40, 40, 3);

async function health(service: Service): Promise<Health> {
  return (await (await fetch(service.url + ROUTES.health)).json()) as Health;
}

describe('engine worker failures', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.close();
  });

  it('fails the job of a crashed worker with the reason, restarts the worker, and runs the next job', async () => {
    const crashed = await submit(service.url, rawJobForm(crop, { prompt: 'crash', steps: 2, variations: 1 }));
    const final = (await waitForJob(service.url, crashed.id)).at(-1)!;
    expect(final.state).toBe('failed');
    expect(final.error?.code).toBe('engine_failed');
    expect(final.error?.message).toMatch(/worker crashed \(exit code 7\)/);

    const after = await health(service);
    expect(after.worker?.restarts).toBe(1);
    expect(after.worker?.lastCrash).toMatch(/exit code 7/);
    expect(service.lines.some((l) => /engine worker died; restarting/.test(l) && /restarts=1/.test(l))).toBe(true);

    const next = await submit(service.url, rawJobForm(crop, { steps: 2, variations: 1 }));
    expect((await waitForJob(service.url, next.id)).at(-1)!.state).toBe('succeeded');
    expect((await health(service)).worker?.state).toBe('running');
  });

  it('fails only the job whose engine throws, with the engine message', async () => {
    const failing = await submit(service.url, rawJobForm(crop, { prompt: 'fail', steps: 2, variations: 1 }));
    const final = (await waitForJob(service.url, failing.id)).at(-1)!;
    expect(final.state).toBe('failed');
    expect(final.error).toEqual({ code: 'engine_failed', message: 'the fake engine failed on purpose' });
    const next = await submit(service.url, rawJobForm(crop, { prompt: 'warn', steps: 2, variations: 1 }));
    const ok = (await waitForJob(service.url, next.id)).at(-1)!;
    expect(ok.state).toBe('succeeded');
    // The classic engine answered a prompt: that is said too (job-outcomes.test.ts), after the engine's remark.
    expect(ok.warnings.at(-1)).toBe('a fake warning');
    expect(ok.warningDetails!.at(-1)).toEqual({ code: 'other', message: 'a fake warning' });
  });
});

describe('engine worker host', () => {
  it('pauses after a crash loop, and a run waiting for that restart ends cancelled when the host closes', async () => {
    const host = new EngineWorkerHost({ modelDir: null, provider: 'cpu', lowMemory: false, batchVariations: false, engineModule: FAKE_ENGINE_MODULE }, silentLogger);
    const job = (prompt: string) =>
      regionJob({ width: 8, height: 8, channels: 3, data: new Uint8Array(8 * 8 * 3) }, { width: 8, height: 8, channels: 1, data: new Uint8Array(8 * 8).fill(255) }, prompt, [1]);
    const options = () => ({ cancel: new CancelFlag(), onProgress: () => {} });
    await expect(host.run('classic', job('crash'), options())).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(host.run('classic', job('crash'), options())).rejects.toBeInstanceOf(WorkerCrashedError);
    // Two crashes in a row: the next start waits (CRASH_LOOP_PAUSE_MS), and this run waits for it.
    expect(host.workerStatus()).toMatchObject({ state: 'restarting', restarts: 2 });
    const waiting = host.run('classic', job('fine'), options());
    await host.close();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(host.workerStatus().state).toBe('stopped');
  });
});

describe('engine worker runs', () => {
  it('move the crop into the worker and the composited crop-sized results back, without copies', async () => {
    const host = new EngineWorkerHost({ modelDir: null, provider: 'cpu', lowMemory: false, batchVariations: false, engineModule: FAKE_ENGINE_MODULE }, silentLogger);
    try {
      const source = makeCrop(40, 30, 4);
      const original = source.image.slice();
      const job = regionJob({ width: 40, height: 30, channels: 4, data: source.image }, { width: 40, height: 30, channels: 1, data: source.mask }, 'x', [5, 6], {
        width: 64,
        height: 48,
      });
      const output = await host.run('classic', job, { cancel: new CancelFlag(), onProgress: () => {} });
      // Transferred, not cloned: the main thread's views are detached.
      expect(source.image.byteLength).toBe(0);
      expect(source.mask.byteLength).toBe(0);
      expect(output.results.map((r) => [r.seed, r.pixels.width, r.pixels.height, r.pixels.channels])).toEqual([
        [5, 40, 30, 4],
        [6, 40, 30, 4],
      ]);
      const mask = makeCrop(40, 30, 4).mask;
      for (const result of output.results) {
        for (let p = 0; p < 40 * 30; p++) {
          if (mask[p] === 0) expect(Array.from(result.pixels.data.subarray(p * 4, p * 4 + 4))).toEqual(Array.from(original.subarray(p * 4, p * 4 + 4)));
        }
      }
      expect(output.timings.engine).toBeGreaterThan(0);
    } finally {
      await host.close();
    }
  });

  it('bring each result’s thumbnail JPEG back with it, made from the working size for a crop larger than it', async () => {
    const host = new EngineWorkerHost({ modelDir: null, provider: 'cpu', lowMemory: false, batchVariations: false, engineModule: FAKE_ENGINE_MODULE }, silentLogger);
    try {
      const source = makeCrop(600, 300, 3);
      const job = regionJob({ width: 600, height: 300, channels: 3, data: source.image }, { width: 600, height: 300, channels: 1, data: source.mask }, 'x', [5, 6], {
        width: 300,
        height: 150,
      });
      const output = await host.run('classic', job, { cancel: new CancelFlag(), onProgress: () => {} });
      for (const result of output.results) {
        expect(result.thumbnail).toBeInstanceOf(Uint8Array);
        const { format, width, height } = await sharp(result.thumbnail!).metadata();
        expect([format, width, height]).toEqual(['jpeg', 256, 128]);
      }
    } finally {
      await host.close();
    }
  });
});

// Node ≥ 21 can say whether a buffer is one native code made (those cannot move); Node 20 cannot.
const { isMarkedAsUntransferable } = workerThreads as { isMarkedAsUntransferable?: (value: object) => boolean };

/** Pixels that can move between threads: a plain ArrayBuffer of exactly them, not one native code made. */
function expectMovable(bytes: Uint8Array, what: string): void {
  expect(bytes.buffer, what).toBeInstanceOf(ArrayBuffer);
  expect([bytes.byteOffset, bytes.buffer.byteLength], what).toEqual([0, bytes.byteLength]);
  if (isMarkedAsUntransferable) expect(isMarkedAsUntransferable(bytes.buffer), what).toBe(false);
}

/** The real engine worker (fake engines), keeping every job it was handed and every output it handed back. */
class RecordingRunner implements EngineRunner {
  readonly host = new EngineWorkerHost({ modelDir: null, provider: 'cpu', lowMemory: false, batchVariations: false, engineModule: FAKE_ENGINE_MODULE }, silentLogger);
  readonly jobs: RegionJob[] = [];
  readonly outputs: RegionOutput[] = [];
  engineStatuses = () => this.host.engineStatuses();
  workerStatus = () => this.host.workerStatus();
  close = () => this.host.close();
  async run(engine: EngineName, job: RegionJob, options: RunOptions): Promise<RegionOutput> {
    this.jobs.push(job);
    const output = await this.host.run(engine, job, options);
    this.outputs.push(output);
    return output;
  }
}

describe('pixels cross threads by transfer, never copied on the HTTP thread', () => {
  const runner = new RecordingRunner();
  const decoder = new DecodeWorkerHost(silentLogger);
  const queue = new JobQueue({ runner, capacity: 4, retentionSeconds: 60, retainedBytes: 2 ** 30, log: silentLogger });
  let service: Awaited<ReturnType<typeof serveApp>>;
  beforeAll(async () => {
    const app = createApp({ queue, runner, log: silentLogger, version: 'test', bindHost: '127.0.0.1', allowedHosts: [], corsOrigins: [], token: null, decodeEncodedPart: decoder.decode });
    service = await serveApp(app);
  });
  afterAll(async () => {
    queue.clear();
    await Promise.all([service.close(), runner.close(), decoder.close()]);
  });

  const settings: Partial<JobParams> = { prompt: 'x', steps: 1, variations: 2 };

  /** Posts `form`, waits for the job and checks what crossed: the crop moved in, RGBA results moved back. */
  async function expectMoved(form: FormData | Uint8Array<ArrayBuffer>, crop: { width: number; height: number }, label: string): Promise<void> {
    const init = form instanceof FormData ? { body: form } : { body: form, headers: { 'content-type': MULTIPART_TYPE } };
    const res = await fetch(service.url + ROUTES.jobs, { method: 'POST', ...init });
    expect(res.status, label).toBe(202);
    const final = (await waitForJob(service.url, ((await res.json()) as { id: string }).id)).at(-1)!;
    expect(final.state, label).toBe('succeeded');
    const job = runner.jobs.at(-1)!;
    // Posted with their buffers in the transfer list: nothing is left of them here.
    expect([job.image.data.byteLength, job.mask.data.byteLength], `${label}: crop after posting`).toEqual([0, 0]);
    const { results } = runner.outputs.at(-1)!;
    expect(results).toHaveLength(2);
    for (const [i, result] of results.entries()) {
      expect([result.pixels.width, result.pixels.height, result.pixels.channels]).toEqual([crop.width, crop.height, 4]);
      expectMovable(result.pixels.data, `${label}: result ${i}`);
    }
  }

  it('raw RGB and RGBA crops, with params first or last', async () => {
    for (const channels of [3, 4] as const) {
      // Large enough that the image streams in before params has arrived: its size is not known while it does.
      const crop = makeCrop(320, 240, channels);
      await expectMoved(rawJobForm(crop, settings), crop, `raw ${channels} channels`);
      const body = multipart([
        { name: 'image', filename: 'blob', type: 'application/octet-stream', body: crop.image },
        { name: 'mask', filename: 'blob', type: 'application/octet-stream', body: crop.mask },
        { name: 'params', body: JSON.stringify({ ...settings, image: { width: 320, height: 240, channels }, mask: { width: 320, height: 240, channels: 1 } }) },
      ]);
      await expectMoved(body, crop, `raw ${channels} channels, params last`);
    }
  });

  it('PNG RGB and RGBA crops, decoded in the decode worker', async () => {
    for (const channels of [3, 4] as const) {
      const crop = makeCrop(48, 32, channels);
      const png = await cropAsPng(crop);
      await expectMoved(jobForm(settings as JobParams, { bytes: png.image, type: 'image/png' }, { bytes: png.mask, type: 'image/png' }), crop, `PNG ${channels} channels`);
    }
  });

  it('results leave the engine worker in buffers that move (RGB crops are expanded into them, not by libvips)', async () => {
    const [classic] = createEngines({ modelDir: null, provider: 'cpu', lowMemory: false, batchVariations: false, engineModule: null });
    for (const channels of [3, 4] as const) {
      const crop = makeCrop(40, 30, channels);
      const job = regionJob({ width: 40, height: 30, channels, data: crop.image }, { width: 40, height: 30, channels: 1, data: crop.mask }, 'x', [1, 2], { width: 64, height: 48 });
      const output = await inpaintRegion(() => classic, 'classic', job, { onProgress: () => {}, isCancelled: () => false });
      // What the worker's transfer list does with them: each result's buffer moves, none is copied.
      for (const result of output.results) expect(movesWhenPosted(result.pixels.data), `${channels} channels`).toBe(true);
    }
  });
});
