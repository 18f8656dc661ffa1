import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Health, JobSnapshot } from '../../core/protocol';
import { ROUTES } from '../../core/protocol';
import { errorOf, getJob, makeCrop, postJob, rawJobForm, startTestService, submit, waitForJob } from './helpers';

type Service = Awaited<ReturnType<typeof startTestService>>;
const crop = makeCrop(48, 48, 3);

describe('job queue over HTTP', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startTestService({ queueCapacity: 2 });
  });
  afterAll(async () => {
    await service.close();
  });

  it('reports positions, cancels a queued job at once and a running one before its next step', async () => {
    const running = await submit(service.url, rawJobForm(crop, { prompt: 'slow', steps: 40, variations: 1 }));
    await waitForJob(service.url, running.id, ['running']);
    const queued = await submit(service.url, rawJobForm(crop, { prompt: 'fast', steps: 2, variations: 1 }));
    expect(queued.position).toBe(1);
    expect((await getJob(service.url, queued.id)).position).toBe(1);
    const noPreview = await fetch(service.url + ROUTES.preview(queued.id));
    expect(noPreview.status).toBe(404);
    expect((await errorOf(noPreview)).message).toMatch(/no preview yet/);

    // Queued: cancelled immediately.
    const cancelQueued = await fetch(service.url + ROUTES.job(queued.id), { method: 'DELETE' });
    expect(cancelQueued.status).toBe(200);
    expect(((await cancelQueued.json()) as JobSnapshot).state).toBe('cancelled');

    // Running: cancellation requested, the engine stops before its next step.
    const cancelRunning = await fetch(service.url + ROUTES.job(running.id), { method: 'DELETE' });
    expect(cancelRunning.status).toBe(202);
    const final = (await waitForJob(service.url, running.id)).at(-1)!;
    expect(final.state).toBe('cancelled');
    expect(final.progress.step).toBeLessThan(40);
    expect(final.results).toEqual([]);

    // The service keeps serving.
    const next = await submit(service.url, rawJobForm(crop, { steps: 2, variations: 1 }));
    expect((await waitForJob(service.url, next.id)).at(-1)!.state).toBe('succeeded');
  });

  it('starts jobs in submission order, and answers health while the worker is blocked in an engine step', async () => {
    const blocking = await submit(service.url, rawJobForm(crop, { prompt: 'slow', steps: 3, variations: 1 }));
    await waitForJob(service.url, blocking.id, ['running']);
    expect((await fetch(service.url + ROUTES.health)).status).toBe(200);
    const a = await submit(service.url, rawJobForm(crop, { steps: 1, variations: 1 }));
    const b = await submit(service.url, rawJobForm(crop, { steps: 1, variations: 1 }));
    expect([a.position, b.position]).toEqual([1, 2]);
    const finalB = (await waitForJob(service.url, b.id)).at(-1)!;
    const finalA = await getJob(service.url, a.id);
    const finalBlocking = await getJob(service.url, blocking.id);
    expect([finalBlocking.state, finalA.state, finalB.state]).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(Date.parse(finalA.startedAt!)).toBeGreaterThanOrEqual(Date.parse(finalBlocking.finishedAt!));
    expect(Date.parse(finalB.startedAt!)).toBeGreaterThanOrEqual(Date.parse(finalA.finishedAt!));
  });

  it('refuses a job with 429 queue_full when the queue is at capacity', async () => {
    const running = await submit(service.url, rawJobForm(crop, { prompt: 'slow', steps: 40, variations: 1 }));
    await waitForJob(service.url, running.id, ['running']);
    const waiting = [await submit(service.url, rawJobForm(crop)), await submit(service.url, rawJobForm(crop))];
    const refused = await postJob(service.url, rawJobForm(crop));
    expect(refused.status).toBe(429);
    const error = await errorOf(refused);
    expect(error.code).toBe('queue_full');
    expect(error.message).toMatch(/capacity 2/);
    const health = (await (await fetch(service.url + ROUTES.health)).json()) as Health;
    expect(health.queue).toEqual({ running: running.id, queued: 2, capacity: 2 });
    for (const job of [running, ...waiting]) await fetch(service.url + ROUTES.job(job.id), { method: 'DELETE' });
    for (const job of [running, ...waiting]) expect((await waitForJob(service.url, job.id)).at(-1)!.state).toBe('cancelled');
  });

  it('keeps a job and its results when the SSE client goes away mid-job', async () => {
    const created = await submit(service.url, rawJobForm(crop, { prompt: 'slow', steps: 6, variations: 1 }));
    const abort = new AbortController();
    const res = await fetch(service.url + ROUTES.events(created.id), { signal: abort.signal });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: snapshot\n/);
    abort.abort();
    await reader.closed.catch(() => {});
    const final = (await waitForJob(service.url, created.id)).at(-1)!;
    expect(final.state).toBe('succeeded');
    const result = await fetch(service.url + ROUTES.result(created.id, 0));
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('image/png');
  });

  it('removes a finished job on DELETE; results of unfinished jobs are a 409', async () => {
    const created = await submit(service.url, rawJobForm(crop, { prompt: 'slow', steps: 3, variations: 1 }));
    const early = await fetch(service.url + ROUTES.result(created.id, 0));
    expect(early.status).toBe(409);
    expect((await errorOf(early)).code).toBe('conflict');
    await waitForJob(service.url, created.id);
    expect((await fetch(service.url + ROUTES.result(created.id, 5))).status).toBe(404);
    expect((await fetch(service.url + ROUTES.job(created.id), { method: 'DELETE' })).status).toBe(204);
    const gone = await fetch(service.url + ROUTES.job(created.id));
    expect(gone.status).toBe(404);
    expect((await errorOf(gone)).code).toBe('not_found');
  });

  it('reports progress with a fraction over all variations and an ETA from step times', async () => {
    const created = await submit(service.url, rawJobForm(crop, { prompt: 'slow', steps: 4, variations: 2 }));
    const seen = await waitForJob(service.url, created.id);
    const running = seen.filter((s) => s.state === 'running' && s.progress.phase === 'denoising');
    expect(running.length).toBeGreaterThan(2);
    const fractions = running.map((s) => s.progress.fraction);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    expect(running.some((s) => s.progress.variation === 1 && s.progress.fraction > 0.5)).toBe(true);
    expect(running.some((s) => s.progress.etaSeconds !== null && s.progress.etaSeconds > 0)).toBe(true);
  });
});

describe('retention', () => {
  it('drops finished jobs once the retention time has passed', async () => {
    const service = await startTestService({ retentionSeconds: 1 });
    try {
      const created = await submit(service.url, rawJobForm(crop, { steps: 1, variations: 1 }));
      await waitForJob(service.url, created.id);
      expect((await fetch(service.url + ROUTES.job(created.id))).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1300));
      expect((await fetch(service.url + ROUTES.job(created.id))).status).toBe(404);
    } finally {
      await service.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('cancels queued jobs and lets the running one finish within the grace period', async () => {
    const service = await startTestService({ shutdownGraceSeconds: 30 });
    const running = await submit(service.url, rawJobForm(crop, { prompt: 'slow', steps: 4, variations: 1 }));
    await waitForJob(service.url, running.id, ['running']);
    const queued = await submit(service.url, rawJobForm(crop, { steps: 1, variations: 1 }));
    await service.close();
    const line = (id: string, state: string) => service.lines.some((l) => l.includes(`job=${id.slice(0, 8)}`) && l.endsWith(` ${state}`));
    expect(line(running.id, 'succeeded')).toBe(true);
    expect(line(queued.id, 'cancelled')).toBe(true);
    expect(service.lines.at(-1)).toMatch(/stopped$/);
  });

  it('keeps answering GETs after the running job ends, so pollers fetch its result; new jobs get 503 (#13 item 6)', async () => {
    const service = await startTestService({ shutdownGraceSeconds: 30, drainSeconds: 3 });
    const running = await submit(service.url, rawJobForm(crop, { prompt: 'slow', steps: 3, variations: 1 }));
    await waitForJob(service.url, running.id, ['running']);
    const closed = service.close();
    const refused = await postJob(service.url, rawJobForm(crop, { steps: 1, variations: 1 }));
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/shutting down/);
    // A poller on a fresh connection follows the job to its end and fetches the result.
    const final = (await waitForJob(service.url, running.id)).at(-1)!;
    expect(final.state).toBe('succeeded');
    const result = await fetch(service.url + ROUTES.result(running.id, 0) + '?format=raw', { headers: { Connection: 'close' } });
    expect(result.status).toBe(200);
    expect((await result.arrayBuffer()).byteLength).toBe(crop.width * crop.height * 4);
    await closed;
    await expect(fetch(service.url + ROUTES.health)).rejects.toThrow();
    expect(service.lines.some((l) => l.includes('drainSeconds=3'))).toBe(true);
  });

  it('keeps answering GETs for a job that finished just before the signal; not when no job finished lately', async () => {
    const service = await startTestService({ drainSeconds: 3 });
    const finished = await submit(service.url, rawJobForm(crop, { steps: 1, variations: 1 }));
    await waitForJob(service.url, finished.id);
    const closed = service.close();
    // The poller comes back after the signal and still finds the job and its result.
    const job = await fetch(service.url + ROUTES.job(finished.id), { headers: { Connection: 'close' } });
    expect(job.status).toBe(200);
    const result = await fetch(service.url + ROUTES.result(finished.id, 0) + '?format=raw', { headers: { Connection: 'close' } });
    expect(result.status).toBe(200);
    expect((await result.arrayBuffer()).byteLength).toBe(crop.width * crop.height * 4);
    await closed;
    expect(service.lines.some((l) => l.includes('drainSeconds=3'))).toBe(true);

    const idle = await startTestService({ drainSeconds: 3 });
    await idle.close();
    expect(idle.lines.some((l) => l.includes('drainSeconds='))).toBe(false);
  });

  it('cancels the running job when the grace period is over', async () => {
    const service = await startTestService({ shutdownGraceSeconds: 0 });
    const running = await submit(service.url, rawJobForm(crop, { prompt: 'slow', steps: 100, variations: 1 }));
    await waitForJob(service.url, running.id, ['running']);
    await service.close();
    expect(service.lines.some((l) => l.includes(`job=${running.id.slice(0, 8)}`) && l.endsWith(' cancelled'))).toBe(true);
  });
});
