/** An in-process EngineRunner whose runs the test settles by hand, for queue races the HTTP tests cannot time. */
import type { EngineStatus, WorkerStatus } from '../../core/protocol';
import type { EngineJob, EngineOutput } from '../../service/engine-io';
import type { EngineRunner, RunOptions } from '../../service/worker/engine-host';

interface ManualRun {
  job: EngineJob;
  options: RunOptions;
  resolve(output: EngineOutput): void;
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

  run(_engine: string, job: EngineJob, options: RunOptions): Promise<EngineOutput> {
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

export function outputFor(job: EngineJob): EngineOutput {
  const images = job.seeds.map((seed) => ({ seed, width: job.width, height: job.height, rgb: new Uint8Array(job.width * job.height * 3).fill(seed) }));
  return { images, warnings: [] };
}
