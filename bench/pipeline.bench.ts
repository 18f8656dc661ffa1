/**
 * Host-side cost of the SDXL pipeline, measured on the tiny oracle models (whose graphs cost next to nothing, so
 * what remains is ours): for a 1024×1024 job (128×128 latents, one variation, CFG batch 2)
 *  - per step: time between one UNet run returning and the next starting (guidance, scheduler step, progress and
 *    preview, scaling into the feed, casts) — target ≤ 1 ms/step on 2 cores;
 *  - per job: pre-processing (pixels → NCHW, mask, VAE sampling, feeds) and post-processing (RGB output), excluding
 *    the time spent inside session.run of the text encoders and VAE.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineJob } from '../service/engine-io';
import { inpaint } from '../service/pipeline/inpaint';
import { loadModelFolder } from '../service/pipeline/model-folder';
import { loadSdxlModels } from '../service/pipeline/sdxl-models';
import { createOrtRuntime } from '../service/runtime/ort-runtime';
import type { Runtime } from '../service/runtime/runtime';
import { generateTinySdxl, tokenizerFilesAvailable } from '../test/models/tiny-sdxl';
import type { TinyVariant } from '../test/models/tiny-sdxl';
import type { SchedulerName } from '../core/params';
import { loadLine, median, minMedian } from './stats';

interface RunRecord {
  label: string;
  start: number;
  end: number;
}

const records: RunRecord[] = [];
const ort = createOrtRuntime();
/** The real runtime, recording when each session.run starts and ends. */
const runtime: Runtime = {
  availableProviders: () => ort.availableProviders(),
  async createSession(model, request) {
    const session = await ort.createSession(model, request);
    return {
      inputs: session.inputs,
      outputs: session.outputs,
      release: () => session.release(),
      async run(feeds, fetch) {
        const start = performance.now();
        try {
          return await session.run(feeds, fetch);
        } finally {
          records.push({ label: request.label, start, end: performance.now() });
        }
      },
    };
  },
};

const SIZE = 1024;
const STEPS = 20;
const JOBS = 3;

function job(scheduler: SchedulerName): EngineJob {
  const pixels = SIZE * SIZE;
  const image = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) image.set([(p * 7) & 255, (p >> 10) & 255, 128], p * 3);
  const mask = new Uint8Array(pixels);
  for (let y = 256; y < 768; y++) mask.fill(255, y * SIZE + 256, y * SIZE + 768);
  return {
    width: SIZE,
    height: SIZE,
    image,
    mask,
    prompt: 'a red apple on a wooden table',
    negativePrompt: undefined,
    steps: STEPS,
    guidance: 8,
    guidanceRescale: 0,
    strength: 0.99,
    scheduler,
    seeds: [42],
  };
}


async function measure(variant: TinyVariant, scheduler: SchedulerName): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'genfill-bench-'));
  try {
    const model = await generateTinySdxl(dir, variant);
    const models = await loadSdxlModels(runtime, await loadModelFolder(model.dir), 'cpu', false);
    const perStep: number[] = [];
    const pre: number[] = [];
    const post: number[] = [];
    const context = { onProgress: () => undefined, isCancelled: () => false };
    await inpaint(models, job(scheduler), context, { batchVariations: true }); // warm-up: prompt cache, ORT arenas
    for (let j = 0; j < JOBS; j++) {
      records.length = 0;
      const request = job(scheduler);
      const start = performance.now();
      await inpaint(models, request, context, { batchVariations: true });
      const end = performance.now();
      const unet = records.filter((r) => r.label === 'unet');
      for (let i = 1; i < unet.length; i++) perStep.push(unet[i].start - unet[i - 1].end);
      const inside = (from: number, to: number): number =>
        records.filter((r) => r.label !== 'unet' && r.start >= from && r.end <= to).reduce((sum, r) => sum + r.end - r.start, 0);
      pre.push(unet[0].start - start - inside(start, unet[0].start));
      // The last step's host work (guidance + scheduler step) is part of the per-step figure, not of post-processing.
      const lastStep = median(perStep);
      post.push(end - unet[unet.length - 1].end - inside(unet[unet.length - 1].end, end) - lastStep);
    }
    await models.release();
    const f = (ms: number): string => ms.toFixed(3).padStart(8);
    console.log(
      `${variant.padEnd(6)} ${scheduler.padEnd(16)} host/step ${minMedian(perStep, 'ms', 3)}, max ${f(Math.max(...perStep))} ms | ` +
        `pre ${minMedian(pre)}, post ${minMedian(post)}; ${loadLine()}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (!tokenizerFilesAvailable()) {
  console.log('skipped: CLIP tokenizer files (../shared/clip-tokenizer) not found');
} else {
  console.log(`SDXL pipeline host-side time, ${SIZE}×${SIZE} (128×128 latents, batch 2 = 1 variation with CFG), ${STEPS} steps, tiny models`);
  for (const [variant, scheduler] of [
    ['fp32', 'euler'],
    ['fp32', 'euler_a'],
    ['fp32', 'dpmpp_2m'],
    ['fp16', 'euler'],
  ] as const) {
    await measure(variant, scheduler);
  }
}
