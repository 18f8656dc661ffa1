/**
 * The main-thread side of the engine worker: spawns it, forwards runs and progress, keeps the latest engine
 * statuses for health, and restarts the worker when it dies (the running job fails with the reason; the service
 * carries on).
 */
import type { Worker } from 'node:worker_threads';
import type { EngineName } from '../../core/params';
import type { EngineStatus, WorkerStatus } from '../../core/protocol';
import type { EngineProgress } from '../engine-io';
import { ENGINES } from '../engines/descriptors';
import { CancelledError, EngineError } from '../errors';
// libvips must be loaded by the main thread before the worker loads it, or glibc may unload it under the worker
// (sharp's documentation, "worker threads").
import '../imaging/resize';
import type { RegionJob, RegionOutput } from '../jobs/region';
import type { Logger } from '../log';
import type { CancelFlag } from './cancel-flag';
import type { EngineSettings, HostMessage, RunFailure, WorkerMessage } from './messages';
import { ownsItsBuffer } from './owned-buffers';
import { spawnWorker, workerEntryUrl } from './spawn';
import { transferList } from './transfer-list';


export interface RunOptions {
  onProgress(progress: EngineProgress): void;
  cancel: CancelFlag;
}

/** What the job queue needs from an engine runner; tests can provide a fake. */
export interface EngineRunner {
  engineStatuses(): EngineStatus[];
  workerStatus(): WorkerStatus;
  /** One run at a time. Rejects with CancelledError, EngineError or WorkerCrashedError. */
  run(engine: EngineName, job: RegionJob, options: RunOptions): Promise<RegionOutput>;
  close(): Promise<void>;
}

export class WorkerCrashedError extends EngineError {
  constructor(reason: string) {
    super(`the engine worker crashed (${reason}); it has been restarted`);
    this.name = 'WorkerCrashedError';
  }
}

const WORKER_URL = workerEntryUrl('engine-worker', import.meta.url);
const DISPOSE_TIMEOUT_MS = 5000;
/** A worker that dies again this soon after a restart is restarted after a pause, not in a tight loop. */
const CRASH_LOOP_WINDOW_MS = 10_000;
const CRASH_LOOP_PAUSE_MS = 2000;

interface PendingRun {
  runId: number;
  options: RunOptions;
  resolve(output: RegionOutput): void;
  reject(error: Error): void;
}

export class EngineWorkerHost implements EngineRunner {
  readonly #settings: EngineSettings;
  readonly #log: Logger;
  #worker: Worker | null = null;
  #statuses: EngineStatus[];
  #state: WorkerStatus['state'] = 'starting';
  #restarts = 0;
  #lastCrash: string | null = null;
  #lastStartAt = 0;
  #crashReason: string | null = null;
  #pending: PendingRun | null = null;
  #busy = false;
  #nextRunId = 1;
  #closing = false;
  #restartTimer: NodeJS.Timeout | null = null;
  #workerReady: Promise<void> = Promise.resolve();
  /** Resolves #workerReady while a restart is pending. */
  #releaseReady: (() => void) | null = null;
  #onDisposed: (() => void) | null = null;

  constructor(settings: EngineSettings, log: Logger) {
    this.#settings = settings;
    this.#log = log.child({ component: 'worker' });
    this.#statuses = this.#placeholderStatuses('starting');
    this.#spawn();
  }

  engineStatuses(): EngineStatus[] {
    return this.#statuses.map((s) => ({ ...s }));
  }

  workerStatus(): WorkerStatus {
    return { state: this.#state, restarts: this.#restarts, lastCrash: this.#lastCrash };
  }

  async run(engine: EngineName, job: RegionJob, options: RunOptions): Promise<RegionOutput> {
    if (this.#busy) throw new Error('EngineWorkerHost.run: a run is already in progress');
    if (this.#closing) throw new EngineError('the service is shutting down');
    this.#busy = true;
    try {
      await this.#workerReady;
      if (options.cancel.cancelled || this.#closing) throw new CancelledError();
      const worker = this.#worker;
      if (!worker) throw new EngineError('the engine worker is not running');
      return await this.#post(worker, engine, job, options);
    } finally {
      this.#busy = false;
    }
  }

  #post(worker: Worker, engine: EngineName, job: RegionJob, options: RunOptions): Promise<RegionOutput> {
    const runId = this.#nextRunId++;
    return new Promise<RegionOutput>((resolve, reject) => {
      this.#pending = { runId, options, resolve, reject };
      const message: HostMessage = { type: 'run', runId, engine, job, cancelFlag: options.cancel.buffer };
      // The crop's buffers move to the worker (the caller does not reuse them); views on shared pool memory are
      // copied instead, since transferring would detach their neighbours (owned-buffers.ts); so are buffers native
      // code made (sharp's output: see transfer-list.ts).
      const transfer = transferList([job.image.data, job.mask.data].filter(ownsItsBuffer));
      worker.postMessage(message, transfer);
    });
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    // A run waiting for the restart would otherwise wait forever; it stops as cancelled.
    this.#releaseReady?.();
    this.#pending?.options.cancel.cancel();
    const worker = this.#worker;
    if (!worker) {
      this.#state = 'stopped';
      return;
    }
    const disposed = new Promise<void>((resolve) => {
      this.#onDisposed = resolve;
      setTimeout(resolve, DISPOSE_TIMEOUT_MS).unref();
    });
    worker.postMessage({ type: 'dispose' } satisfies HostMessage);
    await disposed;
    await worker.terminate();
    this.#state = 'stopped';
    const run = this.#pending;
    this.#pending = null;
    run?.reject(new CancelledError());
  }

  #placeholderStatuses(why: string): EngineStatus[] {
    return ENGINES.map((engine) => engine.placeholder(this.#settings, `engine worker ${why}`));
  }

  #spawn(): void {
    this.#lastStartAt = Date.now();
    this.#crashReason = null;
    const worker = spawnWorker(WORKER_URL, this.#settings);
    this.#worker = worker;
    this.#state = this.#restarts === 0 ? 'starting' : 'restarting';
    worker.on('message', (message: WorkerMessage) => this.#onMessage(message));
    worker.on('error', (error) => {
      this.#crashReason = error.message || String(error);
    });
    worker.on('messageerror', (error) => {
      this.#crashReason = `unreadable message: ${error.message}`;
    });
    worker.on('exit', (code) => this.#onExit(worker, code));
  }

  #onMessage(message: WorkerMessage): void {
    switch (message.type) {
      case 'status':
        this.#state = 'running';
        this.#statuses = message.engines;
        return;
      case 'log':
        this.#log[message.level](message.message);
        return;
      case 'progress':
        if (this.#pending?.runId === message.runId) this.#pending.options.onProgress(message.progress);
        return;
      case 'done':
        this.#settle(message.runId, (run) => run.resolve(message.output));
        return;
      case 'failed':
        this.#settle(message.runId, (run) => run.reject(failureToError(message.failure)));
        return;
      case 'disposed':
        this.#onDisposed?.();
        return;
    }
  }

  #settle(runId: number, settle: (run: PendingRun) => void): void {
    const run = this.#pending;
    if (!run || run.runId !== runId) return;
    this.#pending = null;
    settle(run);
  }

  #onExit(worker: Worker, code: number): void {
    if (worker !== this.#worker) return;
    this.#worker = null;
    if (this.#closing) return;
    const reason = this.#crashReason ?? `exit code ${code}`;
    this.#restarts++;
    this.#lastCrash = `${new Date().toISOString()}: ${reason}`;
    this.#statuses = this.#placeholderStatuses('restarting');
    this.#state = 'restarting';
    const run = this.#pending;
    this.#pending = null;
    if (run) run.reject(run.options.cancel.cancelled ? new CancelledError() : new WorkerCrashedError(reason));

    const pause = Date.now() - this.#lastStartAt < CRASH_LOOP_WINDOW_MS && this.#restarts > 1 ? CRASH_LOOP_PAUSE_MS : 0;
    this.#log.error('engine worker died; restarting', { reason, restarts: this.#restarts, pauseMs: pause });
    this.#workerReady = new Promise<void>((resolve) => {
      this.#releaseReady = () => {
        this.#releaseReady = null;
        resolve();
      };
    });
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      this.#spawn();
      this.#releaseReady?.();
    }, pause);
  }
}

function failureToError(failure: RunFailure): Error {
  switch (failure.kind) {
    case 'cancelled':
      return new CancelledError();
    case 'engine':
    case 'unavailable':
      return new EngineError(failure.message);
    case 'internal':
      return new EngineError(`internal engine error: ${failure.message}`);
  }
}
