/**
 * Test-only engines, loaded inside the engine worker through `engineModule`. Behaviour is chosen by the prompt:
 * "crash" kills the worker thread, "fail" throws an EngineError, "slow" busy-waits 150 ms per step without ever
 * yielding the worker's event loop (like an ORT run: only the shared cancel flag can reach it), anything else
 * sleeps 5 ms per step.
 * The fill is a flat colour derived from the seed, so variations differ.
 */
import type { EngineStatus } from '../../core/protocol';
import type { EngineName } from '../../core/params';
import { CancelledError, EngineError } from '../../service/errors';
import type { EngineImage, EngineJob, EngineOutput, EngineRunContext } from '../../service/engine-io';
import type { Engine } from '../../service/engines/engine';
import type { EngineSettings } from '../../service/worker/messages';

export const FAKE_ENGINE_MODULE = new URL('./fake-engines.ts', import.meta.url).pathname;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Deliberately blocking, as a CPU-bound engine step would.
  }
}

function colourFor(seed: number): [number, number, number] {
  return [(seed * 67) % 256, (seed * 131 + 40) % 256, (seed * 29 + 200) % 256];
}

function fill(job: EngineJob, seed: number): Uint8Array {
  const rgb = new Uint8Array(job.width * job.height * 3);
  const [r, g, b] = colourFor(seed);
  for (let p = 0; p < job.width * job.height; p++) {
    rgb[p * 3] = r;
    rgb[p * 3 + 1] = g;
    rgb[p * 3 + 2] = b;
  }
  return rgb;
}

function fakeEngine(name: EngineName): Engine {
  const status: EngineStatus = { name, state: 'ready', model: `fake-${name}`, provider: 'cpu', dtype: 'uint8', reason: null };
  return {
    name,
    status: () => status,
    async run(job: EngineJob, context: EngineRunContext): Promise<EngineOutput> {
      if (job.prompt.includes('crash')) {
        await sleep(20);
        process.exit(7);
      }
      if (job.prompt.includes('fail')) throw new EngineError('the fake engine failed on purpose');
      const slow = job.prompt.includes('slow');
      const images: EngineImage[] = [];
      for (let v = 0; v < job.seeds.length; v++) {
        for (let step = 1; step <= job.steps; step++) {
          // Like the real engines, a cancel hands over the variations already done.
          if (context.isCancelled()) throw new CancelledError(images);
          if (slow) blockFor(150);
          else await sleep(5);
          context.onProgress({
            phase: 'denoising',
            variation: v,
            step,
            steps: job.steps,
            preview: { width: 8, height: 8, rgb: new Uint8Array(8 * 8 * 3).fill(step) },
          });
        }
        images.push({ seed: job.seeds[v], width: job.width, height: job.height, rgb: fill(job, job.seeds[v]) });
      }
      return { images, warnings: job.prompt.includes('warn') ? ['a fake warning'] : [] };
    },
    async dispose() {},
  };
}

export function createEngines(settings: EngineSettings): Engine[] {
  return settings.modelDir ? [fakeEngine('classic'), fakeEngine('sdxl')] : [fakeEngine('classic')];
}
