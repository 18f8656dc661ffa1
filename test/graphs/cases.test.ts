// End to end: the four golden cases (StableDiffusionXLInpaintPipeline runs by diffusers) through genfill's pipeline on
// graphs genfill built itself, fed diffusers' recorded random draws in place of genfill's generator.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SchedulerName } from '../../core/params';
import { inpaint } from '../../service/pipeline/inpaint';
import { loadModelFolder } from '../../service/pipeline/model-folder';
import { loadSdxlModels } from '../../service/pipeline/sdxl-models';
import type { SdxlModels } from '../../service/pipeline/sdxl-models';
import { createOrtRuntime } from '../../service/runtime/ort-runtime';
import { writeGraphFolder } from '../../service/models/graph-folder';
import { diffusersPlan, singleFilePlan } from '../../service/models/plans';
import type { GraphPlan } from '../../service/models/plans';
import type { ComputeType } from '../../service/graphs/layers';
import { GOLDEN, GOLDEN_DIFFUSERS, GOLDEN_SINGLE_FILE, GOLDEN_SKIP_MESSAGE, haveGolden, readF32, readGoldenJson } from './golden';
import { tempDirs } from './temp-dirs';

// The pipeline's generator, replaced by a replay of diffusers' draws (one normal() call per recorded draw).
const replay = vi.hoisted(() => ({ draws: [] as Float32Array[], calls: 0 }));
vi.mock('../../service/pipeline/random', () => ({
  createGenerator: () => ({
    normal(out: Float32Array) {
      const draw = replay.draws[replay.calls++];
      if (!draw || draw.length !== out.length) throw new Error(`draw ${replay.calls - 1}: recorded ${draw?.length} values, pipeline wants ${out.length}`);
      out.set(draw);
    },
  }),
}));

if (!haveGolden) console.warn(GOLDEN_SKIP_MESSAGE);

interface GoldenCase {
  name: string;
  scheduler: SchedulerName;
  prompt: string;
  negative_prompt: string | null;
  steps: number;
  guidance: number;
  guidance_rescale: number;
  strength: number;
  width: number;
  height: number;
  draws: { file: string }[];
}

interface Bounds {
  /** Final latents: max|Δ| ≤ latent × max|latent|. */
  latent: number;
  /** Image: max |Δ| per channel (0–255). */
  image: number;
}

const EXACT: Bounds = { latent: 1e-4, image: 1 };
/**
 * The fp16 variant holds the fp32 weights rounded to fp16 (relative error ≤ 2⁻¹¹ ≈ 4.9e-4 each), so it is a slightly
 * different model, not a less exact computation: every layer's output moves by about that much, and the UNet's
 * prediction is fed back through every step. Measured on the four golden cases: 1.0e-3 … 2.5e-3 × max|latent| and
 * ≤ 1 level per channel (as fp32). The bound, 10 × 2⁻¹¹ ≈ 5e-3, is twice the worst case; the image may move 2 levels.
 */
const FP16_VARIANT: Bounds = { latent: 5e-3, image: 2 };

/**
 * fp16 graphs (for GPU providers; the VAE stays fp32) compute every UNet and text-encoder op in fp16 (rounding 2⁻¹¹
 * relative each) on exact weights. Measured on the four cases: 1.2e-3 … 4.0e-3 × max|latent|, ≤ 1 level per channel.
 * The bound, 1e-2, is 2.5× the worst case; the image may move 2 levels.
 */
const FP16_GRAPHS: Bounds = { latent: 1e-2, image: 2 };

const sources: [string, () => GraphPlan, Bounds, ComputeType][] = [
  ['diffusers folder (fp32)', () => diffusersPlan(GOLDEN_DIFFUSERS), EXACT, 'float32'],
  ['single file (configs from diffusers/)', () => singleFilePlan(GOLDEN_SINGLE_FILE, { configFrom: GOLDEN_DIFFUSERS }), EXACT, 'float32'],
  ['diffusers folder, fp16 UNet variant', () => diffusersPlan(GOLDEN_DIFFUSERS, { variant: 'fp16' }), FP16_VARIANT, 'float32'],
  ['diffusers folder, fp16 graphs (--graph-dtype fp16)', () => diffusersPlan(GOLDEN_DIFFUSERS), FP16_GRAPHS, 'float16'],
];

const temp = tempDirs('genfill-cases');

const cases = haveGolden ? readGoldenJson<{ cases: GoldenCase[] }>('cases/index.json').cases : [];

describe.skipIf(!haveGolden).each(sources)('golden cases on graphs built from the %s', (_label, plan, bounds, compute) => {
  let models: SdxlModels;
  beforeAll(async () => {
    const root = temp();
    await writeGraphFolder(plan(), join(root, 'model'), { compute });
    models = await loadSdxlModels(createOrtRuntime(), await loadModelFolder(join(root, 'model')), 'cpu', false);
  });
  afterAll(async () => models?.release());

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const folder = join(GOLDEN, 'cases', c.name);
    replay.draws = c.draws.map((d) => readF32(join(folder, d.file)));
    replay.calls = 0;
    let finalLatents: Float32Array | null = null;
    const decode = models.vaeDecoder.decode.bind(models.vaeDecoder);
    const spy = vi.spyOn(models.vaeDecoder, 'decode').mockImplementation(async (latents, ...rest) => {
      finalLatents = latents.slice();
      return decode(latents, ...rest);
    });
    try {
      const output = await inpaint(
        models,
        {
          width: c.width,
          height: c.height,
          image: readFileSync(join(folder, 'image.rgb')),
          mask: readFileSync(join(folder, 'mask.gray')),
          prompt: c.prompt,
          negativePrompt: c.negative_prompt ?? undefined,
          steps: c.steps,
          guidance: c.guidance,
          guidanceRescale: c.guidance_rescale,
          strength: c.strength,
          scheduler: c.scheduler,
          seeds: [0],
        },
        { onProgress: () => undefined, isCancelled: () => false },
        { batchVariations: true },
      );
      expect(replay.calls).toBe(c.draws.length);
      const expectedLatents = readF32(join(folder, 'final_latents.f32'));
      const latents = finalLatents as unknown as Float32Array;
      let worst = 0;
      let scale = 0;
      expectedLatents.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(latents[i] - v));
        scale = Math.max(scale, Math.abs(v));
      });
      expect(worst).toBeLessThanOrEqual(bounds.latent * scale);
      const image = readFileSync(join(folder, 'image_out.rgb'));
      const rgb = output.images[0].rgb;
      let pixel = 0;
      image.forEach((v, i) => (pixel = Math.max(pixel, Math.abs(rgb[i] - v))));
      expect(pixel).toBeLessThanOrEqual(bounds.image);
    } finally {
      spy.mockRestore();
    }
  });
});
