/**
 * UNet time per denoising step on every execution provider this machine can open (batch 2 = one variation with CFG,
 * 128×128 latents = a 1024² job), with genfill's tuned provider options. The UNet is
 * `GENFILL_BENCH_UNET=<dir or unet/model.onnx>` when given (an SDXL export), else the tiny test UNet — whose figure
 * is the provider's per-run overhead on a few cheap ops, not SDXL's compute.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrtRuntime } from '../service/runtime/ort-runtime';
import { generateTinySdxl } from '../test/models/tiny-sdxl';
import { timeUnetSteps } from './unet-steps';

const RUNS = 7;
const runtime = createOrtRuntime();
const given = process.env.GENFILL_BENCH_UNET;
const scratch = given === undefined ? await mkdtemp(join(tmpdir(), 'genfill-bench-unet-')) : null;
try {
  let unet: string;
  if (given !== undefined) unet = existsSync(join(given, 'unet', 'model.onnx')) ? join(given, 'unet', 'model.onnx') : given;
  else unet = join((await generateTinySdxl(scratch as string, 'fp16')).dir, 'unet', 'model.onnx');
  console.log(`UNet step time per provider (${given === undefined ? 'tiny test UNet, fp16' : unet}), ${RUNS} runs after a warm-up`);
  for (const provider of runtime.availableProviders()) {
    try {
      const t = await timeUnetSteps(runtime, unet, { provider, tuned: true, runs: RUNS });
      console.log(
        `${provider.padEnd(8)} ${t.shapes}  min ${t.minMs.toFixed(2)} ms  median ${t.medianMs.toFixed(2)} ms/step` +
          `  (session ${t.createMs.toFixed(0)} ms, first run ${t.warmupMs.toFixed(1)} ms)`,
      );
    } catch (error) {
      console.log(`${provider.padEnd(8)} could not be opened here: ${(error as Error).message.split('\n')[0]}`);
    }
  }
} finally {
  if (scratch !== null) await rm(scratch, { recursive: true, force: true });
}
