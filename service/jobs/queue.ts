/**
 * The job queue: FIFO, bounded, one job on the engine worker at a time. Every job reaches exactly one terminal
 * state; an engine failure fails only its job. Finished jobs stay (with their results) until retention passes or
 * the client deletes them — never because a client disconnected.
 */
import { randomUUID } from 'node:crypto';
import { GenfillError } from '../../core/errors';
import type { EngineName } from '../../core/params';
import type { JobCreated, JobEvent, JobSnapshot, QueueStatus } from '../../core/protocol';
import { CancelledError } from '../errors';
import type { EngineProgress } from '../engine-io';
import { encodeJpeg } from '../imaging/codec';
import type { Logger } from '../log';
import type { EngineRunner } from '../worker/engine-host';
import type { CropInputs } from './inputs';
import { Job, type JobPreview } from './job';
import type { ResolvedParams } from './params';
import { runInpaint } from './run-inpaint';
import { otherWarning, promptUnusedWarning } from './warnings';

export interface JobQueueOptions {
  runner: EngineRunner;
  /** Jobs that may wait behind the running one. */
  capacity: number;
  retentionSeconds: number;
  /** Results kept at most, in bytes: past it the oldest finished jobs go before their retention ends. */
  retainedBytes: number;
  log: Logger;
}

export type JobListener = (event: JobEvent) => void;

/** Progress is logged when the job crosses each of these fractions. */
const LOG_PROGRESS_EVERY = 0.25;

export class JobQueue {
  readonly #options: JobQueueOptions;
  readonly #jobs = new Map<string, Job>();
  readonly #waiting: Job[] = [];
  readonly #listeners = new Map<string, Set<JobListener>>();
  #running: Job | null = null;
  /** Bytes each finished job still held is counted with (its `retainedBytes` at the end, plus encodings since). */
  readonly #held = new Map<Job, number>();
  /** Their sum. */
  #retained = 0;
  #runningDone: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: JobQueueOptions) {
    this.#options = options;
  }

  /** Bytes held by finished jobs of every outcome — results, previews, encodings, records — kept within `retainedBytes`. */
  get retainedBytes(): number {
    return this.#retained;
  }

  /** A finished job now holds `delta` bytes more (an encoded result) or fewer; ignored once the job is gone. */
  holdBytes(job: Job, delta: number): void {
    const held = this.#held.get(job);
    if (held === undefined) return;
    this.#held.set(job, held + delta);
    this.#retained += delta;
    if (delta > 0) this.#keepWithinBudget(job);
  }

  /** Live event listeners of a job (SSE clients); 0 once they have gone or the job has ended. */
  listenerCount(job: Job): number {
    return this.#listeners.get(job.id)?.size ?? 0;
  }

  status(): QueueStatus {
    return { running: this.#running?.id ?? null, queued: this.#waiting.length, capacity: this.#options.capacity };
  }

  /** When the latest retained job ended; null when none has. */
  lastFinishedAt(): Date | null {
    let latest: Date | null = null;
    for (const job of this.#jobs.values()) if (job.finishedAt && (!latest || job.finishedAt > latest)) latest = job.finishedAt;
    return latest;
  }

  /** Refuses early (before decoding uploads) when the queue cannot take another job. */
  assertAccepting(): void {
    if (this.#closed) throw new GenfillError('engine_unavailable', 'the service is shutting down');
    if (this.#waiting.length >= this.#options.capacity) {
      throw new GenfillError(
        'queue_full',
        `the queue is full (${this.#waiting.length} jobs waiting, capacity ${this.#options.capacity}); try again when a job has finished`,
      );
    }
  }

  submit(params: ResolvedParams, engine: EngineName, inputs: CropInputs): JobCreated {
    this.assertAccepting();
    const job = new Job(randomUUID(), params, engine, inputs);
    const sdxl = this.#options.runner.engineStatuses().find((s) => s.name === 'sdxl');
    const unused = promptUnusedWarning(params.prompt, engine, sdxl);
    if (unused) job.warnings.push(unused);
    this.#jobs.set(job.id, job);
    this.#waiting.push(job);
    const { width, height } = inputs.image;
    this.#log(job).info('queued', { engine, size: `${width}x${height}`, variations: params.variations, steps: params.steps, seed: params.seed, randomSeed: params.randomSeed, client: params.client });
    const position = this.#position(job) ?? 0;
    this.#pump();
    return { id: job.id, position };
  }

  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  snapshot(job: Job): JobSnapshot {
    return job.snapshot(this.#position(job));
  }

  /** Listens to a job's events until it ends; returns the unsubscribe function. */
  subscribe(job: Job, listener: JobListener): () => void {
    let set = this.#listeners.get(job.id);
    if (!set) this.#listeners.set(job.id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(job.id) === set) this.#listeners.delete(job.id);
    };
  }

  /**
   * DELETE semantics: a queued job is cancelled at once, a running one is asked to stop before the next engine
   * step (it turns `cancelled` when the engine stops), a finished one is removed with its results.
   */
  cancelOrRemove(job: Job): 'cancelled' | 'cancelling' | 'removed' {
    if (job.terminal) {
      this.#remove(job);
      return 'removed';
    }
    if (job.state === 'queued') {
      this.#waiting.splice(this.#waiting.indexOf(job), 1);
      this.#finish(job, 'cancelled');
      this.#notifyWaiting();
      return 'cancelled';
    }
    job.cancel.cancel();
    this.#log(job).info('cancel requested');
    return 'cancelling';
  }

  /** Stops accepting, cancels waiting jobs, gives the running one `graceMs` to finish, then cancels it. */
  async shutdown(graceMs: number): Promise<void> {
    this.#closed = true;
    for (const job of this.#waiting.splice(0)) this.#finish(job, 'cancelled');
    const running = this.#running;
    if (!running) return;
    const timer = setTimeout(() => {
      this.#log(running).warn('shutdown grace period over; cancelling the running job', { graceMs });
      running.cancel.cancel();
    }, graceMs);
    await this.#runningDone;
    clearTimeout(timer);
  }

  /** Drops every retained job (service shutdown). */
  clear(): void {
    for (const job of this.#jobs.values()) if (job.terminal) this.#remove(job);
  }

  #log(job: Job): Logger {
    return this.#options.log.child({ job: job.id.slice(0, 8) });
  }

  #position(job: Job): number | null {
    if (job.state !== 'queued') return null;
    return this.#waiting.indexOf(job) + (this.#running ? 1 : 0);
  }

  #emit(job: Job, event: JobEvent): void {
    for (const listener of this.#listeners.get(job.id) ?? []) listener(event);
  }

  #notify(job: Job): void {
    // Most clients poll: build the snapshot only for someone listening.
    if (this.#listeners.has(job.id)) this.#emit(job, { type: 'snapshot', job: this.snapshot(job) });
  }

  #notifyWaiting(): void {
    for (const job of this.#waiting) this.#notify(job);
  }

  #pump(): void {
    if (this.#running || this.#closed) return;
    const job = this.#waiting.shift();
    if (!job) return;
    this.#running = job;
    this.#runningDone = this.#execute(job).finally(() => {
      this.#running = null;
      this.#pump();
    });
    this.#notifyWaiting();
  }

  async #execute(job: Job): Promise<void> {
    const log = this.#log(job);
    const inputs = job.inputs!;
    job.state = 'running';
    job.startedAt = new Date();
    this.#notify(job);
    log.info('started', { engine: job.engine, waitedMs: job.startedAt.getTime() - job.createdAt.getTime() });
    let loggedQuarter = 0;
    const onProgress = (progress: EngineProgress) => {
      const current = job.progress.update(progress);
      if (progress.preview) void this.#storePreview(job, progress.preview);
      const quarter = Math.floor(current.fraction / LOG_PROGRESS_EVERY);
      if (quarter > loggedQuarter && current.fraction < 1) {
        loggedQuarter = quarter;
        log.info('progress', { fraction: current.fraction.toFixed(2), eta: current.etaSeconds?.toFixed(1), stepsPerSecond: current.stepsPerSecond?.toFixed(2) });
      }
      this.#notify(job);
    };
    try {
      const outcome = await runInpaint(this.#options.runner, job.engine, inputs, job.params, {
        cancel: job.cancel,
        onProgress,
        onWorkingSize: (size) => (job.workingSize = size),
      });
      job.results = outcome.results;
      job.warnings.push(...outcome.warnings.map(otherWarning));
      const t = outcome.timings;
      // A cancel that came after some variations finished keeps them.
      this.#finish(job, outcome.cancelled ? 'cancelled' : 'succeeded', {
        prepareMs: Math.round(t.prepare),
        engineMs: Math.round(t.engine),
        finishMs: Math.round(t.finish),
      });
    } catch (error) {
      if (error instanceof CancelledError || (job.cancel.cancelled && !(error instanceof GenfillError))) {
        this.#finish(job, 'cancelled');
      } else {
        const message = error instanceof Error ? error.message : String(error);
        job.error = { code: 'engine_failed', message };
        this.#finish(job, 'failed');
      }
    }
  }

  async #storePreview(job: Job, preview: NonNullable<EngineProgress['preview']>): Promise<void> {
    const revision = ++job.previewsRequested;
    const jpeg = await encodeJpeg({ width: preview.width, height: preview.height, channels: 3, data: preview.rgb }).catch(() => null);
    // Encodes can finish out of order; keep the newest.
    if (!jpeg || (job.preview && job.preview.revision >= revision) || !this.#jobs.has(job.id)) return;
    const stored: JobPreview = { revision, width: preview.width, height: preview.height, jpeg };
    job.preview = stored;
    this.#emit(job, { type: 'preview', revision, width: preview.width, height: preview.height });
    this.#notify(job);
  }

  #finish(job: Job, state: 'succeeded' | 'failed' | 'cancelled', timings: Record<string, number> = {}): void {
    job.state = state;
    job.finishedAt = new Date();
    job.inputs = null;
    job.progress.finish(state === 'succeeded');
    const totalMs = job.finishedAt.getTime() - job.createdAt.getTime();
    const fields = { totalMs, ...timings, results: job.results.length, error: job.error?.message };
    if (state === 'failed') this.#log(job).warn(state, fields);
    else this.#log(job).info(state, fields);
    this.#notify(job);
    this.#listeners.delete(job.id);
    job.retentionTimer = setTimeout(() => this.#remove(job), this.#options.retentionSeconds * 1000);
    job.retentionTimer.unref();
    this.#held.set(job, job.retainedBytes);
    this.#retained += job.retainedBytes;
    this.#keepWithinBudget(job);
  }

  /** Drops the oldest finished jobs (never `newest`) while the retained results exceed the budget. */
  #keepWithinBudget(newest: Job): void {
    for (const job of this.#jobs.values()) {
      if (this.#retained <= this.#options.retainedBytes) return;
      if (job === newest || !this.#held.has(job)) continue;
      this.#log(job).warn('job dropped before its retention ended, to stay within the memory budget', {
        retainedMb: Math.round(this.#retained / 2 ** 20),
        budgetMb: Math.round(this.#options.retainedBytes / 2 ** 20),
      });
      this.#remove(job);
    }
  }

  #remove(job: Job): void {
    if (job.retentionTimer) clearTimeout(job.retentionTimer);
    this.#jobs.delete(job.id);
    const held = this.#held.get(job);
    if (held === undefined) return;
    this.#held.delete(job);
    this.#retained -= held;
  }
}
