/**
 * The device check, for a GPU machine without Node or network (../shared/device-kit): one short run that writes
 * `$OUT/gpu-check.json` and prints a summary.
 *   (a) the provider self-test on webgpu and cuda (where they open): verdict and every op's error;
 *   (b) the same inpainting job through the whole pipeline on CPU and on webgpu, on tiny models generated here (their
 *       UNet has a real 9-channel 3×3 conv_in): webgpu as the service loads it (self-test, workaround when needed)
 *       and webgpu without the workaround; final latents and image compared with CPU's;
 *   (c) UNet step time with and without genfill's tuned options on each GPU provider that opens, for `--unet PATH`
 *       (an export folder or a unet/model.onnx, e.g. a full-size SDXL UNet) or else the tiny fp16 UNet.
 *       --full-unet builds SDXL-inpainting's full-size UNet with random fp16 weights first and times that.
 * Usage: tsx bench/gpu.ts [--unet PATH | --full-unet] [--runs N]   (bundled: bash .device/run.sh [same])
 * Paths are relative to GENFILL_ROOT (the checkout) when set. It never imports sharp (the bundle leaves it out).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { EngineJob } from '../service/engine-io';
import { loadOnFirstWorkingProvider } from '../service/engines/sdxl/provider-choice';
import { convNodesFedByInFile } from '../service/graphs/input-conv';
import { SDXL_INPAINT_CONFIGS } from '../service/models/known-configs';
import { buildUnetWithRandomWeights } from '../service/models/random-weights';
import { inpaint } from '../service/pipeline/inpaint';
import { loadModelFolder } from '../service/pipeline/model-folder';
import { loadSdxlModels } from '../service/pipeline/sdxl-models';
import type { SdxlModels } from '../service/pipeline/sdxl-models';
import { createOrtRuntime } from '../service/runtime/ort-runtime';
import { checkProvider } from '../service/runtime/probe/provider-check';
import type { ProviderVerdict } from '../service/runtime/probe/provider-check';
import type { ProviderName, Runtime, TensorData } from '../service/runtime/runtime';
import { writeCharacterTokenizer } from '../test/models/character-tokenizer';
import { generateTinySdxl } from '../test/models/tiny-sdxl';
import type { TinyVariant } from '../test/models/tiny-sdxl';
import { timeUnetSteps } from './unet-steps';
import type { UnetStepTiming } from './unet-steps';

const GPU_PROVIDERS: readonly ProviderName[] = ['webgpu', 'cuda'];
const { values: args } = parseArgs({
  options: { unet: { type: 'string' }, 'full-unet': { type: 'boolean', default: false }, runs: { type: 'string', default: '5' } },
});
const root = process.env.GENFILL_ROOT ?? process.cwd();
const out = process.env.OUT ?? join(root, '.tmp', 'gpu-check');
const runs = Number(args.runs);
const t0 = performance.now();
const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/** The real runtime, keeping a copy of what each vae_decoder run was fed: the job's final latents. */
function recordingDecoderFeeds(inner: Runtime, latents: Float32Array[]): Runtime {
  return {
    availableProviders: () => inner.availableProviders(),
    async createSession(model, request) {
      const session = await inner.createSession(model, request);
      if (request.label !== 'vae_decoder') return session;
      return {
        inputs: session.inputs,
        outputs: session.outputs,
        release: () => session.release(),
        run: (feeds, fetch) => {
          latents.push(asFloat32(feeds.latent_sample));
          return session.run(feeds, fetch);
        },
      };
    },
  };
}

function asFloat32(tensor: TensorData): Float32Array {
  return Float32Array.from(tensor.data as ArrayLike<number>);
}

function job(): EngineJob {
  const width = 256;
  const height = 192;
  const image = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) image.set([(p * 7) & 255, (p >> 8) & 255, 128], p * 3);
  const mask = new Uint8Array(width * height);
  for (let y = 48; y < 144; y++) mask.fill(255, y * width + 64, y * width + 192);
  return { width, height, image, mask, prompt: 'a red apple', negativePrompt: undefined, steps: 8, guidance: 5, guidanceRescale: 0, strength: 0.99, scheduler: 'euler', seeds: [7] };
}

interface PipelineRun {
  latents: Float32Array;
  rgb: Uint8Array;
  ms: number;
}

async function runPipeline(load: (runtime: Runtime) => Promise<SdxlModels>): Promise<PipelineRun> {
  const latents: Float32Array[] = [];
  const models = await load(recordingDecoderFeeds(createOrtRuntime(), latents));
  try {
    const start = performance.now();
    const { images } = await inpaint(models, job(), { onProgress: () => undefined, isCancelled: () => false }, { batchVariations: true });
    return { latents: latents[0], rgb: images[0].rgb, ms: performance.now() - start };
  } finally {
    await models.release();
  }
}

function difference(reference: PipelineRun, other: PipelineRun) {
  let latentScale = 0;
  let latentError = 0;
  for (let i = 0; i < reference.latents.length; i++) {
    latentScale = Math.max(latentScale, Math.abs(reference.latents[i]));
    latentError = Math.max(latentError, Math.abs(reference.latents[i] - other.latents[i]));
  }
  let imageMax = 0;
  let imageSum = 0;
  for (let i = 0; i < reference.rgb.length; i++) {
    const d = Math.abs(reference.rgb[i] - other.rgb[i]);
    imageMax = Math.max(imageMax, d);
    imageSum += d;
  }
  return { latentMaxError: latentError, latentRelativeError: latentError / Math.max(latentScale, 1e-12), imageMaxError255: imageMax, imageMeanError255: imageSum / reference.rgb.length, ms: other.ms };
}

async function pipelineCheck(scratch: string, variant: TinyVariant, tokenizer: string, webgpuOpens: boolean) {
  const model = await generateTinySdxl(join(scratch, variant), variant, { tokenizerSource: tokenizer });
  const folder = await loadModelFolder(model.dir);
  const cpu = await runPipeline((r) => loadSdxlModels(r, folder, 'cpu', false));
  const result: Record<string, unknown> = { variant, cpuMs: cpu.ms, convIn: await convNodesFedByInFile(folder.graphPath('unet'), 'sample') };
  if (!webgpuOpens) return { ...result, webgpu: 'skipped: webgpu did not open in the self-test' };
  const lines: string[] = [];
  try {
    // As the service loads it: the self-test decides whether conv_in moves to CPU.
    const asService = await runPipeline((r) => loadOnFirstWorkingProvider(r, { graphDtype: 'auto', folderFor: async () => folder }, 'webgpu', false, (l) => lines.push(l)).then((l) => l.models));
    result.webgpuAsService = { ...difference(cpu, asService), log: lines };
  } catch (error) {
    result.webgpuAsService = { error: messageOf(error), log: lines };
  }
  try {
    result.webgpuWithoutWorkaround = difference(cpu, await runPipeline((r) => loadSdxlModels(r, folder, 'webgpu', false)));
  } catch (error) {
    result.webgpuWithoutWorkaround = { error: messageOf(error) };
  }
  return result;
}

async function timingCheck(runtime: Runtime, unet: string, verdicts: Record<string, unknown>, onGpuOnly: boolean) {
  const timings: (UnetStepTiming | { provider: ProviderName; tuned: boolean; error: string })[] = [];
  const providers = runtime.availableProviders().filter((p) => (onGpuOnly ? p !== 'cpu' : true) && p !== 'tensorrt');
  for (const provider of providers) {
    const verdict = verdicts[provider] as ProviderVerdict | undefined;
    if (provider !== 'cpu' && verdict?.kind === undefined) continue; // did not open in the self-test
    const cpuNodes = verdict?.kind === 'workaround' ? await convNodesFedByInFile(unet, 'sample') : [];
    for (const tuned of provider === 'cpu' ? [true] : [false, true]) {
      try {
        const t = await timeUnetSteps(runtime, unet, { provider, tuned, cpuNodes, runs });
        timings.push(t);
        console.log(`  ${provider} ${tuned ? 'tuned' : 'plain'}: ${t.shapes} min ${t.minMs.toFixed(1)} ms, median ${t.medianMs.toFixed(1)} ms/step, session ${(t.createMs / 1000).toFixed(1)} s [${elapsed()}]`);
      } catch (error) {
        timings.push({ provider, tuned, error: messageOf(error) });
        console.log(`  ${provider} ${tuned ? 'tuned' : 'plain'}: ${messageOf(error)}`);
      }
    }
  }
  return timings;
}

const runtime = createOrtRuntime();
const scratch = await mkdtemp(join(tmpdir(), 'genfill-gpu-'));
const report: Record<string, unknown> = { node: process.version, platform: `${process.platform}/${process.arch}`, available: runtime.availableProviders() };
/** Written after every phase: a GPU fault that ends the process still leaves what was measured before it. */
const save = async (): Promise<void> => {
  report.totalSeconds = (performance.now() - t0) / 1000;
  await writeFile(join(out, 'gpu-check.json'), `${JSON.stringify(report, null, 2)}\n`);
};
try {
  await mkdir(out, { recursive: true });
  console.log(`providers offered: ${runtime.availableProviders().join(', ')}`);

  // (a)
  const verdicts: Record<string, unknown> = {};
  for (const provider of GPU_PROVIDERS.filter((p) => runtime.availableProviders().includes(p))) {
    try {
      const verdict = await checkProvider(runtime, provider);
      verdicts[provider] = verdict;
      console.log(`(a) ${verdict.summary}`);
      for (const c of verdict.checks) console.log(`    ${c.ok ? 'ok ' : 'BAD'} ${c.output.padEnd(11)} error ${c.error.toExponential(2)}`);
    } catch (error) {
      verdicts[provider] = { error: messageOf(error) };
      console.log(`(a) ${provider}: could not open: ${messageOf(error)}`);
    }
  }
  report.selfTest = verdicts;
  await save();

  // (b)
  const tokenizer = await writeCharacterTokenizer(join(scratch, 'tokenizer'));
  report.pipeline = [];
  for (const variant of ['fp32', 'fp16'] as const) {
    const webgpuOpens = (verdicts.webgpu as Partial<ProviderVerdict> | undefined)?.kind !== undefined;
    const result = await pipelineCheck(scratch, variant, tokenizer, webgpuOpens);
    (report.pipeline as unknown[]).push(result);
    await save();
    console.log(`(b) ${variant} [${elapsed()}]: ${JSON.stringify(result)}`);
  }

  // (c) --full-unet: SDXL-inpainting's real UNet (2.57 B parameters) with random fp16 weights, built here from its
  // config by genfill's own graph builder (no model files can reach the device machine), once with onnxruntime's fused
  // MultiHeadAttention and once with attention in plain ops, to see which the provider runs faster.
  const given = args.unet === undefined ? undefined : isAbsolute(args.unet) ? args.unet : resolve(root, args.unet);
  const unets: Record<string, string> = {};
  if (args['full-unet']) {
    for (const attention of ['fused', 'matmul'] as const) {
      const built = buildUnetWithRandomWeights(SDXL_INPAINT_CONFIGS.unet, 'float16', join(scratch, `full-unet-${attention}`), { compute: 'float16', attention });
      console.log(`(c) built the full-size UNet, ${attention} attention: ${built.parameters} parameters, ${(built.weightBytes / 2 ** 30).toFixed(2)} GiB [${elapsed()}]`);
      unets[`full-${attention}`] = built.modelPath;
    }
  } else {
    unets[given === undefined ? 'tiny' : 'given'] =
      given === undefined ? join(scratch, 'fp16', 'unet', 'model.onnx') : existsSync(join(given, 'unet', 'model.onnx')) ? join(given, 'unet', 'model.onnx') : given;
  }
  report.timing = [];
  for (const [label, unet] of Object.entries(unets)) {
    console.log(`(c) UNet step timing, ${label}: ${unet}`);
    (report.timing as unknown[]).push({ label, unet, runs, results: await timingCheck(runtime, unet, verdicts, label !== 'tiny') });
    await save();
  }
} catch (error) {
  report.fatal = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
  console.log(`fatal: ${String(report.fatal)}`);
  process.exitCode = 1;
} finally {
  await save();
  console.log(`wrote ${join(out, 'gpu-check.json')} [${elapsed()}]`);
  await rm(scratch, { recursive: true, force: true });
}
