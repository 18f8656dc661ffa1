import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Health } from '../../core/protocol';
import { ROUTES } from '../../core/protocol';
import { makeCrop, rawJobForm, startTestService, submit, waitForJob } from './helpers';

type Service = Awaited<ReturnType<typeof startTestService>>;
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
    expect(ok.warnings).toEqual(['a fake warning']);
  });
});
