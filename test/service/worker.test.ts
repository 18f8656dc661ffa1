import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Health } from '../../core/protocol';
import { ROUTES } from '../../core/protocol';
import { CancelledError } from '../../service/errors';
import type { Pixels } from '../../service/imaging/pixels';
import type { RegionJob } from '../../service/jobs/region';
import { silentLogger } from '../../service/log';
import { CancelFlag } from '../../service/worker/cancel-flag';
import { EngineWorkerHost, WorkerCrashedError } from '../../service/worker/engine-host';
import { FAKE_ENGINE_MODULE, makeCrop, rawJobForm, startTestService, submit, waitForJob } from './helpers';

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
