/**
 * A classic-fill thread: fills the variations it is sent, one at a time, and reports each step. The plan (the
 * seed-independent part) is made once per job and thread.
 */
import { parentPort } from 'node:worker_threads';
import { CancelledError } from '../../errors';
import { lowerThisThreadsPriority } from '../../worker/thread-priority';
import { fillVariation } from './fill';
import { planFill, type FillPlan } from './plan';
import { levelPreview } from './preview';
import type { FillReply, FillRequest } from './variation-messages';

if (!parentPort) throw new Error('variation-worker.ts must run in a worker thread');
const port = parentPort;

// On a busy machine the HTTP thread gets a core first (thread-priority.ts).
lowerThisThreadsPriority();

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
