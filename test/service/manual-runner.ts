/** An in-process EngineRunner whose runs the test settles by hand, for queue races the HTTP tests cannot time. */
import type { EngineStatus, WorkerStatus } from '../../core/protocol';
import type { RegionJob, RegionOutput } from '../../service/jobs/region';
import type { EngineRunner, RunOptions } from '../../service/worker/engine-host';

interface ManualRun {
  job: RegionJob;
  options: RunOptions;
  resolve(output: RegionOutput): void;
  reject(error: Error): void;
}

/** An EngineRunner whose runs stay pending until the test resolves or rejects them. */
export class ManualRunner implements EngineRunner {
  readonly runs: ManualRun[] = [];
  #waiters: (() => void)[] = [];

  engineStatuses(): EngineStatus[] {
    return [{ name: 'classic', state: 'ready', model: 'manual', provider: 'cpu', dtype: null, reason: null }];
  }

  workerStatus(): WorkerStatus {
    return { state: 'running', restarts: 0, lastCrash: null };
  }

  run(_engine: string, job: RegionJob, options: RunOptions): Promise<RegionOutput> {
    return new Promise((resolve, reject) => {
      this.runs.push({ job, options, resolve, reject });
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  async close(): Promise<void> {}

  /** The n-th run (0-based), once the queue has started it. */
  async started(n: number): Promise<ManualRun> {
    while (this.runs.length <= n) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.runs[n];
  }
}

/** Composited results as the worker returns them: RGBA at the crop size. */
export function outputFor(job: RegionJob): RegionOutput {
  const { width, height } = job.image;
  const results = job.seeds.map((seed) => ({ seed, pixels: { width, height, channels: 4 as const, data: new Uint8Array(width * height * 4).fill(seed) } }));
  return { results, warnings: [], cancelled: false, timings: { prepare: 0, engine: 0, finish: 0 } };
}
