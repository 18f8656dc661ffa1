/** What every benchmark prints: min and median of N runs, the machine, and the load average when it was measured. */
import { availableParallelism, cpus, loadavg } from 'node:os';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** "min 12.3 / median 14.1 ms (n=5)". */
export function minMedian(values: readonly number[], unit = 'ms', digits = 1): string {
  return `min ${Math.min(...values).toFixed(digits)} / median ${median(values).toFixed(digits)} ${unit} (n=${values.length})`;
}

/** "load 1.23 0.98 0.75": other work on the machine inflates every figure; read them with it. */
export function loadLine(): string {
  return `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

export function machineLine(): string {
  return `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.versions.node}`;
}

/** Runs `body` `runs` times after `warmups` unmeasured runs and returns the durations in ms. */
export async function sample(runs: number, body: () => Promise<unknown>, warmups = 1): Promise<number[]> {
  for (let i = 0; i < warmups; i++) await body();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await body();
    times.push(performance.now() - start);
  }
  return times;
}

/**
 * How much parallelism the machine gives right now: the time two threads take for equal CPU-bound work, as a
 * multiple of one thread's time (1.0 = two free cores, 2.0 = none). Parallel figures mean little without it.
 */
export async function parallelismProbe(): Promise<number> {
  const { Worker } = await import('node:worker_threads');
  const code = `require('node:worker_threads').parentPort.on('message', function (n) {
    let x = 0;
    for (let i = 0; i < n; i++) x = (x + i * 7) % 1000003;
    this.postMessage(x);
  });`;
  const threads = [new Worker(code, { eval: true }), new Worker(code, { eval: true })];
  const work = (thread: InstanceType<typeof Worker>, n: number) => new Promise((resolve) => (thread.once('message', resolve), thread.postMessage(n)));
  try {
    await Promise.all(threads.map((t) => work(t, 1e6)));
    const time = async (count: number) => {
      const start = performance.now();
      await Promise.all(threads.slice(0, count).map((t) => work(t, 1e8)));
      return performance.now() - start;
    };
    const one = Math.min(await time(1), await time(1));
    const two = Math.min(await time(2), await time(2));
    return two / one;
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
