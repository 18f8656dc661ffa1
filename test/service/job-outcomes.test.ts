// Saying what happened: a prompt no engine read is a coded warning with the way to add a model; a cancel keeps the
// variations that finished (the job ends `cancelled` with them, fetchable); classic progress counts passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineStatus, JobSnapshot } from '../../core/protocol';
import { ROUTES } from '../../core/protocol';
import { ProgressTracker } from '../../service/jobs/progress';
import { promptUnusedWarning } from '../../service/jobs/warnings';
import { getJob, makeCrop, rawJobForm, startTestService, submit, waitForJob } from './helpers';

const crop = makeCrop(48, 48, 3);
const sdxl = (state: EngineStatus['state'], reason: string | null = null): EngineStatus => ({ name: 'sdxl', state, model: null, provider: null, dtype: null, reason });

describe('prompt_unused', () => {
  it('is raised only when classic answers a non-empty prompt, and says what to do', () => {
    expect(promptUnusedWarning('a boat', 'sdxl', sdxl('ready'))).toBeNull();
    expect(promptUnusedWarning('  ', 'classic', sdxl('unavailable'))).toBeNull();
    const noModel = promptUnusedWarning('a boat', 'classic', sdxl('unavailable'))!;
    expect(noModel.code).toBe('prompt_unused');
    expect(noModel.message).toMatch(/No SDXL model is installed.*npx genfill model install/);
    expect(promptUnusedWarning('a boat', 'classic', sdxl('failed', 'unet.onnx is missing'))!.message).toMatch(/failed to load \(unet.onnx is missing\).*model install/);
    expect(promptUnusedWarning('a boat', 'classic', sdxl('ready'))!.message).toMatch(/Choose the engine "auto" or "sdxl"/);
  });
});

describe('classic progress', () => {
  it('passes the unit through, so clients say "pass k of n"', () => {
    const tracker = new ProgressTracker(2, 10, () => 0);
    expect(tracker.update({ phase: 'denoising', unit: 'pass', variation: 0, step: 3, steps: 12 })).toMatchObject({ unit: 'pass', step: 3, steps: 12 });
    expect(tracker.update({ phase: 'denoising', variation: 1, step: 3, steps: 12 }).unit).toBeUndefined();
  });
});

describe('job outcomes over HTTP (no model: the classic engine answers)', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.close();
  });

  it('warns, with a code, when the prompt was not used; an empty prompt gets no such warning', async () => {
    const prompted = await submit(service.url, rawJobForm(crop, { prompt: 'a red boat', steps: 1, variations: 1 }));
    const queued = await getJob(service.url, prompted.id);
    expect(queued.warningDetails?.map((w) => w.code)).toContain('prompt_unused');
    const final = (await waitForJob(service.url, prompted.id)).at(-1)!;
    expect(final.state).toBe('succeeded');
    const warning = final.warningDetails!.find((w) => w.code === 'prompt_unused')!;
    expect(warning.message).toMatch(/npx genfill model install/);
    // The plain list carries the same messages for older clients.
    expect(final.warnings).toContain(warning.message);

    const empty = await submit(service.url, rawJobForm(crop, { prompt: '', steps: 1, variations: 1 }));
    const emptyFinal = (await waitForJob(service.url, empty.id)).at(-1)!;
    expect(emptyFinal.warningDetails!.some((w) => w.code === 'prompt_unused')).toBe(false);
  });

  it('keeps the finished variations when a running job is cancelled, and serves them', async () => {
    // "slow": 150 ms per step, 3 steps per variation.
    const created = await submit(service.url, rawJobForm(crop, { prompt: 'slow', steps: 3, variations: 4 }));
    let snapshot: JobSnapshot;
    do snapshot = await getJob(service.url, created.id);
    while (!(snapshot.progress.variation !== null && snapshot.progress.variation >= 1));
    expect((await fetch(service.url + ROUTES.job(created.id), { method: 'DELETE' })).status).toBe(202);
    const final = (await waitForJob(service.url, created.id)).at(-1)!;
    expect(final.state).toBe('cancelled');
    expect(final.results.length).toBeGreaterThanOrEqual(1);
    expect(final.results.length).toBeLessThan(4);
    expect(final.results.map((r) => r.seed)).toEqual(final.results.map((_, i) => final.seed + i));
    const png = await fetch(service.url + ROUTES.result(created.id, 0));
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toMatch(/png/);
    expect((await fetch(service.url + ROUTES.result(created.id, final.results.length))).status).toBe(404);
  });
});
