/**
 * Runs a job's variations in parallel, one per thread, on a pool sized to the cores. Variations are independent
 * (own seed, own random stream), so each thread plans the job once and fills the variations it is handed; results
 * equal the single-threaded fill's byte for byte.
 *
 * The pool has one thread more than the machine has cores (capped by the variations): three variations on two
 * cores then share the cores and finish together in 1.5 turns instead of two turns with one thread idle at the end.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { spawnWorker, workerEntryUrl } from '../../worker/spawn';
import type { EngineImage, EngineProgress, EngineRunContext } from '../../engine-io';
import { CancelledError, EngineError } from '../../errors';
import type { FillReply, FillRequest } from './variation-messages';

const WORKER_URL = workerEntryUrl('variation-worker', import.meta.url);
/** How often a running job looks at the job's cancel flag while no step arrives. */
const CANCEL_POLL_MS = 20;

export interface PoolJob extends Pick<FillRequest, 'image' | 'mask' | 'width' | 'height' | 'threshold' | 'settings'> {
  seeds: number[];
}

function shared(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(new SharedArrayBuffer(bytes.length));
  copy.set(bytes);
  return copy;
}

export class VariationPool {
  readonly #size: number;
  readonly #workerUrl: URL;
  readonly #idle: Worker[] = [];
  #jobKey = 0;

  /** `workerUrl`: the thread's entry (tests give one that fails on purpose). */
  constructor(size = availableParallelism() + 1, workerUrl = WORKER_URL) {
    this.#size = size;
    this.#workerUrl = workerUrl;
  }

  /** Fills every seed; progress is reported for the batch (variation null), the step being the mean over variations. */
  async run(job: PoolJob, context: EngineRunContext): Promise<{ images: EngineImage[]; warnings: string[] }> {
    const jobKey = ++this.#jobKey;
    const cancel = new SharedArrayBuffer(4);
    const cancelFlag = new Int32Array(cancel);
    const image = shared(job.image);
    const mask = shared(job.mask);
    const count = job.seeds.length;
    const threads = Array.from({ length: Math.min(this.#size, count) }, () => this.#take());
    const stepsDone = new Array<number>(count).fill(0);
    const images = new Array<EngineImage>(count);
    let warnings: string[] = [];
    let reported = 0;
    let next = 0;
    /** Threads with a variation in hand; a thread that fails or dies is not given back to the pool. */
    const working = new Set<Worker>();
    const broken = new Set<Worker>();

    return new Promise((resolve, reject) => {
      let failure: Error | null = null;
      let settled = false;
      const isCancelled = () => {
        if (failure === null && context.isCancelled()) fail(new CancelledError());
        return failure !== null;
      };
      const poll = setInterval(isCancelled, CANCEL_POLL_MS);
      const fail = (error: Error) => {
        failure ??= error;
        Atomics.store(cancelFlag, 0, 1);
      };
      const settle = () => {
        if (working.size > 0 || settled) return;
        settled = true;
        clearInterval(poll);
        for (const thread of threads) this.#give(thread, broken.has(thread));
        // A cancel keeps the variations that had finished.
        if (failure instanceof CancelledError) reject(new CancelledError(images.filter((image) => image !== undefined)));
        else if (failure) reject(failure);
        else resolve({ images, warnings });
      };
      const dispatch = (thread: Worker) => {
        if (next >= count || failure) return settle();
        const variation = next++;
        working.add(thread);
        const request: FillRequest = { jobKey, image, mask, width: job.width, height: job.height, threshold: job.threshold, settings: job.settings, variation, seed: job.seeds[variation], previews: variation === 0, cancel };
        thread.postMessage(request);
      };
      const onReply = (thread: Worker, message: FillReply) => {
        switch (message.type) {
          case 'step': {
            if (isCancelled()) return;
            stepsDone[message.variation] = message.step;
            const step = Math.floor(stepsDone.reduce((sum, s) => sum + s, 0) / count);
            if (step <= reported && !message.preview) return;
            reported = Math.max(reported, step);
            const progress: EngineProgress = { phase: 'denoising', unit: 'pass', variation: null, step: reported, steps: message.steps };
            if (message.preview) progress.preview = message.preview;
            context.onProgress(progress);
            return;
          }
          case 'done':
            images[message.variation] = { seed: job.seeds[message.variation], width: job.width, height: job.height, rgb: message.rgb };
            warnings = message.warnings;
            working.delete(thread);
            return dispatch(thread);
          case 'failed':
            fail(message.cancelled ? new CancelledError() : new EngineError(`classic engine: ${message.message}`));
            working.delete(thread);
            return settle();
        }
      };
      for (const thread of threads) {
        thread.on('message', (message: FillReply) => onReply(thread, message));
        thread.on('error', (error) => {
          broken.add(thread);
          fail(new EngineError(`classic engine: a fill thread failed: ${error.message}`));
        });
        thread.once('exit', (code) => {
          // A thread that dies mid-job (out of memory) fails the job; the pool starts a new one next time.
          broken.add(thread);
          fail(new EngineError(`classic engine: a fill thread stopped (exit code ${code})`));
          working.delete(thread);
          settle();
        });
        dispatch(thread);
      }
    });
  }

  /** Ends every idle thread (the pool stays usable: threads start again on demand). */
  async close(): Promise<void> {
    await Promise.all(this.#idle.splice(0).map((thread) => thread.terminate()));
  }

  #take(): Worker {
    const thread = this.#idle.pop() ?? spawnWorker(this.#workerUrl, null);
    thread.ref();
    return thread;
  }

  /** Back to the idle list, or ended when it failed (an 'error' comes before its 'exit'; it must not get the next job). */
  #give(thread: Worker, broken: boolean): void {
    for (const event of ['message', 'error', 'exit']) thread.removeAllListeners(event);
    // Idle threads never keep their process alive.
    thread.unref();
    if (broken) void thread.terminate();
    else if (thread.threadId >= 0) {
      this.#idle.push(thread);
      // One that dies while idle (out of memory elsewhere in it) must not be handed the next job.
      thread.once('exit', () => {
        const at = this.#idle.indexOf(thread);
        if (at >= 0) this.#idle.splice(at, 1);
      });
    }
  }
}
