/**
 * A classic-fill thread: fills the variations it is sent, one at a time, and reports each step. The plan (the
 * seed-independent part) is made once per job and thread.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { CancelledError } from '../../errors';
import { fillVariation } from './fill';
import { planFill, type FillPlan } from './plan';
import { levelPreview } from './preview';
import type { FillReply, FillRequest } from './variation-messages';

if (!parentPort) throw new Error('variation-worker.ts must run in a worker thread');
const port = parentPort;

/** Nice value of fill threads: on a busy machine the HTTP thread and the engine worker get the cores first. */
const FILL_THREAD_NICE = 10;
// On Linux the nice value belongs to the calling thread alone; elsewhere it would lower the whole service, so not there.
if (process.platform === 'linux') {
  try {
    setPriority(FILL_THREAD_NICE);
  } catch {
    // A sandbox that refuses: run at normal priority.
  }
}

let planned: { jobKey: number; plan: FillPlan } | null = null;

function planFor(request: FillRequest): FillPlan {
  if (planned?.jobKey !== request.jobKey) {
    planned = null; // the previous job's plan can go before the next one is built
    const plan = planFill(request.image, request.mask, request.threshold, request.width, request.height, request.settings);
    planned = { jobKey: request.jobKey, plan };
  }
  return planned.plan;
}

function reply(message: FillReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

port.on('message', async (request: FillRequest) => {
  const { variation } = request;
  const cancelled = new Int32Array(request.cancel);
  const checkCancelled = (): void => {
    if (Atomics.load(cancelled, 0) !== 0) throw new CancelledError();
  };
  try {
    const plan = planFor(request);
    const rgb = await fillVariation(plan, request.seed, {
      checkCancelled,
      async afterStep(step, level) {
        const preview = request.previews && level ? levelPreview(level.image, level.width, level.height) : undefined;
        reply({ type: 'step', variation, step, steps: plan.steps, ...(preview && { preview }) }, preview ? [preview.rgb.buffer as ArrayBuffer] : []);
        checkCancelled();
      },
    });
    reply({ type: 'done', variation, rgb, warnings: plan.warnings }, [rgb.buffer as ArrayBuffer]);
  } catch (error) {
    const isCancel = error instanceof CancelledError;
    reply({ type: 'failed', variation, cancelled: isCancel, message: error instanceof Error ? error.message : String(error) });
  }
});
