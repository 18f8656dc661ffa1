/**
 * The queue and the SSE stream against an in-process runner whose runs the test settles by hand, so the races the
 * HTTP tests cannot time (cancel while finishing, cancel twice, a client leaving mid-stream) are exact.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobEvent, JobState } from '../../core/protocol';
import { ROUTES, TERMINAL_STATES } from '../../core/protocol';
import { CancelledError, EngineError } from '../../service/errors';
import { createApp } from '../../service/http/app';
import { encodeForDisplay } from '../../service/imaging/codec';
import type { Pixels } from '../../service/imaging/pixels';
import type { CropInputs } from '../../service/jobs/inputs';
import type { Job } from '../../service/jobs/job';
import { resolveParams } from '../../service/jobs/params';
import { JobQueue } from '../../service/jobs/queue';
import { silentLogger } from '../../service/log';
import type { EngineRunner } from '../../service/worker/engine-host';
import { makeCrop } from './helpers';
import { ManualRunner, outputFor } from './manual-runner';

function cropInputs(): CropInputs {
  const crop = makeCrop(16, 16, 3);
  return { image: { width: 16, height: 16, channels: 3, data: crop.image }, mask: { width: 16, height: 16, channels: 1, data: crop.mask }, warnings: [] };
}

const RESULT_BYTES = 16 * 16 * 4;

function setUp(options: { retainedBytes?: number } = {}) {
  const runner = new ManualRunner();
  const queue = new JobQueue({ runner, capacity: 4, retentionSeconds: 60, retainedBytes: options.retainedBytes ?? 2 ** 30, log: silentLogger });
  const submit = (seed = 1, variations = 1): Job => queue.get(queue.submit(resolveParams({ prompt: 'x', steps: 2, variations, seed }), 'classic', cropInputs()).id)!;
  return { runner, queue, submit };
}

/** Every terminal state a job announces, and a promise of the first. */
function terminalEvents(queue: JobQueue, job: Job): { states: JobState[]; ended: Promise<JobState> } {
  const states: JobState[] = [];
  let end!: (state: JobState) => void;
  const ended = new Promise<JobState>((resolve) => (end = resolve));
  queue.subscribe(job, (event: JobEvent) => {
    if (event.type !== 'snapshot' || !TERMINAL_STATES.includes(event.job.state)) return;
    states.push(event.job.state);
    end(event.job.state);
  });
  return { states, ended };
}

/** Lets the job's run (the n-th) succeed and waits for its terminal event. */
async function succeed(queue: JobQueue, runner: ManualRunner, job: Job, n = 0): Promise<void> {
  const events = terminalEvents(queue, job);
  const run = await runner.started(n);
  run.resolve(outputFor(run.job));
  await events.ended;
}

describe('job queue races (manual runner)', () => {
  it('a cancel that arrives after the engine returned: the job still succeeds, once', async () => {
    const { runner, queue, submit } = setUp();
    const job = submit();
    const run = await runner.started(0);
    const events = terminalEvents(queue, job);
    run.resolve(outputFor(run.job));
    // The engine is done; the results are still being composited.
    expect(queue.cancelOrRemove(job)).toBe('cancelling');
    expect(await events.ended).toBe('succeeded');
    expect(events.states).toEqual(['succeeded']);
    expect(job.results).toHaveLength(1);
  });

  it('cancel twice while running: the flag is set, one cancelled state; DELETE then removes the job', async () => {
    const { runner, queue, submit } = setUp();
    const job = submit();
    const run = await runner.started(0);
    const events = terminalEvents(queue, job);
    expect(queue.cancelOrRemove(job)).toBe('cancelling');
    expect(queue.cancelOrRemove(job)).toBe('cancelling');
    expect(run.options.cancel.cancelled).toBe(true);
    run.reject(new CancelledError());
    expect(await events.ended).toBe('cancelled');
    expect(events.states).toEqual(['cancelled']);
    expect(queue.cancelOrRemove(job)).toBe('removed');
    expect(queue.get(job.id)).toBeUndefined();
  });

  it('an engine error after a cancel request ends cancelled; one without ends failed with its message', async () => {
    const { runner, queue, submit } = setUp();
    const first = submit(1);
    const second = submit(2);
    const firstEvents = terminalEvents(queue, first);
    queue.cancelOrRemove(first);
    (await runner.started(0)).reject(new Error('interrupted mid-step'));
    expect(await firstEvents.ended).toBe('cancelled');
    const secondEvents = terminalEvents(queue, second);
    (await runner.started(1)).reject(new EngineError('out of memory'));
    expect(await secondEvents.ended).toBe('failed');
    expect(second.error).toEqual({ code: 'engine_failed', message: 'out of memory' });
  });

  it('a queued job cancelled before its turn never reaches the engine', async () => {
    const { runner, queue, submit } = setUp();
    const running = submit(1);
    const queued = submit(2);
    const run = await runner.started(0);
    const events = terminalEvents(queue, queued);
    expect(queue.cancelOrRemove(queued)).toBe('cancelled');
    expect(events.states).toEqual(['cancelled']);
    const done = terminalEvents(queue, running);
    run.resolve(outputFor(run.job));
    await done.ended;
    const third = submit(3);
    const next = await runner.started(1);
    expect(next.job.seeds).toEqual([3]);
    expect(runner.runs).toHaveLength(2);
    next.resolve(outputFor(next.job));
    expect(await terminalEvents(queue, third).ended).toBe('succeeded');
  });

  it('retention timers do not keep the process alive; inputs are released when the job ends', async () => {
    const { runner, queue, submit } = setUp();
    const job = submit();
    await succeed(queue, runner, job);
    expect(job.retentionTimer?.hasRef()).toBe(false);
    expect(job.inputs).toBeNull();
    queue.clear();
    expect(queue.get(job.id)).toBeUndefined();
    expect(queue.retainedBytes).toBe(0);
  });

  /** What one finished job of `setUp`'s kind holds (results, record, texts). */
  async function bytesOfOneJob(): Promise<number> {
    const { runner, queue, submit } = setUp();
    const job = submit();
    await succeed(queue, runner, job);
    expect(job.retainedBytes).toBeGreaterThan(RESULT_BYTES);
    expect(queue.retainedBytes).toBe(job.retainedBytes);
    return job.retainedBytes;
  }

  it('keeps retained jobs within the memory budget by dropping the oldest finished ones', async () => {
    const perJob = await bytesOfOneJob();
    const { runner, queue, submit } = setUp({ retainedBytes: perJob * 2 });
    const jobs: Job[] = [];
    for (let i = 0; i < 4; i++) {
      const job = submit(i);
      await succeed(queue, runner, job, i);
      jobs.push(job);
      expect(queue.retainedBytes).toBeLessThanOrEqual(perJob * 2);
    }
    expect(jobs.map((job) => queue.get(job.id) !== undefined)).toEqual([false, false, true, true]);
    expect(queue.retainedBytes).toBe(perJob * 2);
    // The newest job stays even when it alone is over the budget.
    const tight = setUp({ retainedBytes: 1 });
    const only = tight.submit();
    await succeed(tight.queue, tight.runner, only);
    expect(tight.queue.get(only.id)).toBe(only);
  });

  it('counts cancelled and failed jobs against the budget too (#13 item 8)', async () => {
    const budget = 64 * 1024;
    const { runner, queue, submit } = setUp({ retainedBytes: budget });
    const running = submit(0);
    const run = await runner.started(0);
    const cancelled: Job[] = [];
    for (let i = 1; i <= 12; i++) {
      const job = submit(i);
      expect(queue.cancelOrRemove(job)).toBe('cancelled');
      cancelled.push(job);
      expect(queue.retainedBytes).toBeLessThanOrEqual(budget);
    }
    expect(cancelled[0].retainedBytes).toBeGreaterThan(0);
    // The oldest cancelled jobs went to keep the rest within the budget; the newest is there.
    expect(queue.get(cancelled[0].id)).toBeUndefined();
    expect(queue.get(cancelled.at(-1)!.id)).toBe(cancelled.at(-1));
    const failed = terminalEvents(queue, running);
    run.reject(new EngineError('boom'));
    expect(await failed.ended).toBe('failed');
    expect(queue.get(running.id)).toBe(running);
    expect(queue.retainedBytes).toBeLessThanOrEqual(budget);
    const held = [running, ...cancelled].filter((job) => queue.get(job.id)).reduce((sum, job) => sum + job.retainedBytes, 0);
    expect(queue.retainedBytes).toBe(held);
  });
});

describe('result encodings (manual runner)', () => {
  let server: Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = null;
  });

  it('32 concurrent GETs of one result encode it once; the bytes held are one encoding, counted in the budget (#13 item 9)', async () => {
    const { runner, queue, submit } = setUp();
    let encodes = 0;
    let running = 0;
    let mostAtOnce = 0;
    const encode = async (pixels: Pixels, format: 'png' | 'jpeg', maxSide?: number): Promise<Buffer> => {
      encodes++;
      mostAtOnce = Math.max(mostAtOnce, ++running);
      const encoded = await encodeForDisplay(pixels, format, maxSide);
      running--;
      return encoded;
    };
    const app = createApp({ queue, runner, log: silentLogger, version: 'test', bindHost: '127.0.0.1', allowedHosts: [], corsOrigins: [], token: null, encode });
    server = createServer(app);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const job = submit();
    await succeed(queue, runner, job);
    const before = queue.retainedBytes;

    const bodies = await Promise.all(Array.from({ length: 32 }, async () => new Uint8Array(await (await fetch(url + ROUTES.result(job.id, 0))).arrayBuffer())));
    expect(encodes).toBe(1);
    const png = await encodeForDisplay(job.results[0].pixels, 'png');
    for (const body of bodies) expect(Buffer.compare(body, png)).toBe(0);
    expect(queue.retainedBytes - before).toBe(png.byteLength);

    // Thumbnails of four sizes at once: each encoded once, never more than two encodes at a time.
    const sides = [16, 17, 18, 19];
    const thumbs = await Promise.all(sides.flatMap((side) => [0, 1].map(() => fetch(`${url}${ROUTES.result(job.id, 0)}?format=jpeg&maxSide=${side}`).then((r) => r.arrayBuffer()))));
    expect(encodes).toBe(5);
    expect(mostAtOnce).toBeLessThanOrEqual(2);
    // At most four encodings are kept per job: the full-size PNG was dropped, and its bytes with it.
    const thumbBytes = sides.reduce((sum, _side, i) => sum + thumbs[i * 2].byteLength, 0);
    expect(queue.retainedBytes - before).toBe(thumbBytes);
    // Raw stays raw: no encode.
    const raw = await fetch(`${url}${ROUTES.result(job.id, 0)}?format=raw`);
    expect((await raw.arrayBuffer()).byteLength).toBe(RESULT_BYTES);
    expect(encodes).toBe(5);
  });

  it('keeps a thumbnail and a PNG of each of 8 variations: a panel refreshing them encodes each once', async () => {
    const { runner, queue, submit } = setUp();
    const encoded: string[] = [];
    const encode = (pixels: Pixels, format: 'png' | 'jpeg', maxSide?: number): Promise<Buffer> => {
      encoded.push(`${format}/${maxSide ?? 'full'}`);
      return encodeForDisplay(pixels, format, maxSide);
    };
    const app = createApp({ queue, runner, log: silentLogger, version: 'test', bindHost: '127.0.0.1', allowedHosts: [], corsOrigins: [], token: null, encode });
    server = createServer(app);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const job = submit(1, 8);
    await succeed(queue, runner, job);
    expect(job.results).toHaveLength(8);

    const get = async (path: string) => expect((await fetch(url + path)).status).toBe(200);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 8; i++) await get(`${ROUTES.result(job.id, i)}?format=jpeg&maxSide=16`);
      for (let i = 0; i < 8; i++) await get(ROUTES.result(job.id, i));
    }
    expect(encoded.filter((e) => e === 'jpeg/16')).toHaveLength(8);
    expect(encoded.filter((e) => e === 'png/full')).toHaveLength(8);

    // Past the cap the least recently used goes: a thumbnail just fetched again outlives the PNGs fetched after it.
    await get(`${ROUTES.result(job.id, 0)}?format=jpeg&maxSide=16`);
    for (let i = 0; i < 8; i++) await get(`${ROUTES.result(job.id, i)}?format=jpeg&maxSide=20`);
    await get(`${ROUTES.result(job.id, 0)}?format=jpeg&maxSide=16`);
    expect(encoded.filter((e) => e === 'jpeg/16')).toHaveLength(8);
    await get(`${ROUTES.result(job.id, 1)}?format=jpeg&maxSide=16`);
    expect(encoded.filter((e) => e === 'jpeg/16')).toHaveLength(9);
  });
});

describe('SSE stream (manual runner)', () => {
  let server: Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = null;
  });

  async function serve(queue: JobQueue, runner: EngineRunner, heartbeatMs: number): Promise<string> {
    const app = createApp({
      queue,
      runner,
      log: silentLogger,
      version: 'test',
      bindHost: '127.0.0.1',
      allowedHosts: [],
      corsOrigins: [],
      token: null,
      events: { snapshotIntervalMs: 0, heartbeatMs },
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }

  async function until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  it('unsubscribes a client that goes away; the job carries on and succeeds', async () => {
    const { runner, queue, submit } = setUp();
    const url = await serve(queue, runner, 60_000);
    const job = submit();
    const run = await runner.started(0);
    const abort = new AbortController();
    const res = await fetch(url + ROUTES.events(job.id), { signal: abort.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^event: snapshot\n/);
    expect(queue.listenerCount(job)).toBe(1);
    abort.abort();
    await reader.closed.catch(() => {});
    await until(() => queue.listenerCount(job) === 0);
    const events = terminalEvents(queue, job);
    run.resolve(outputFor(run.job));
    expect(await events.ended).toBe('succeeded');
    expect(queue.get(job.id)?.results).toHaveLength(1);
  });

  it('sends heartbeat comments while the job is quiet, and ends the stream after the terminal snapshot', async () => {
    const { runner, queue, submit } = setUp();
    const url = await serve(queue, runner, 10);
    const job = submit();
    const run = await runner.started(0);
    const res = await fetch(url + ROUTES.events(job.id));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes(': keep-alive\n\n')) text += decoder.decode((await reader.read()).value);
    run.resolve(outputFor(run.job));
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    const snapshots = [...text.matchAll(/event: snapshot\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]) as { state: JobState });
    expect(snapshots.at(-1)!.state).toBe('succeeded');
    expect(snapshots.filter((s) => TERMINAL_STATES.includes(s.state))).toHaveLength(1);
    expect(queue.listenerCount(job)).toBe(0);
  });
});
