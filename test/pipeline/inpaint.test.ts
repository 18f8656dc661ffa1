// End to end on the tiny oracle models (CPU): every variant × scheduler lands the masked area on the prompt's colour.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SCHEDULERS } from '../../core/params';
import { CancelledError } from '../../service/errors';
import { inpaint } from '../../service/pipeline/inpaint';
import type { SdxlModels } from '../../service/pipeline/sdxl-models';
import { createGenerator } from '../../service/pipeline/random';
import { createScheduler, stepsForStrength } from '../../service/pipeline/schedulers';
import { NAN_DECODER_MESSAGE, NAN_FP32_DECODER_MESSAGE, NAN_LATENTS_MESSAGE } from '../../service/pipeline/vae';
import type { EncodedImage } from '../../service/pipeline/vae';
import { simplePromptTokens, tinyOracle, tokenizerFilesAvailable, TOKENIZER_SKIP_MESSAGE } from '../models/tiny-sdxl';
import type { TinyVariant } from '../models/tiny-sdxl';
import { FakeRuntime } from '../runtime/fake-runtime';
import {
  IMAGE_COLOUR,
  loadTinyModels,
  maxDeviation,
  meanColour,
  recordingContext,
  removeTinyModels,
  solidJob,
  tinyModel,
} from './fixtures';

const haveTokenizer = tokenizerFilesAvailable();
if (!haveTokenizer) console.warn(TOKENIZER_SKIP_MESSAGE);

const VARIANTS: TinyVariant[] = ['fp32', 'fp16', 'legacy', 'external-data'];
const batched = { batchVariations: true };

function expectedFill(job: { prompt: string; negativePrompt?: string; guidance: number; width: number; height: number }): number[] {
  const negative = job.negativePrompt === undefined ? undefined : simplePromptTokens(job.negativePrompt);
  return tinyOracle.fillColour({ prompt: simplePromptTokens(job.prompt), negative, guidance: job.guidance, height: job.height, width: job.width }).rgb8;
}

afterAll(removeTinyModels);

describe.skipIf(!haveTokenizer)('inpaint on every tiny export variant and scheduler', () => {
  for (const variant of VARIANTS) {
    describe(variant, () => {
      let models: SdxlModels;
      beforeAll(async () => {
        models = await loadTinyModels((await tinyModel(variant)).dir);
      });
      afterAll(async () => models?.release());

      it.each(SCHEDULERS)('%s: fills the mask with the prompt colour and keeps the rest', async (scheduler) => {
        const job = solidJob({ scheduler, seeds: [3, 4] });
        const output = await inpaint(models, job, recordingContext(), batched);
        expect(output.images.map((i) => [i.seed, i.width, i.height, i.rgb.length])).toEqual([
          [3, 64, 48, 64 * 48 * 3],
          [4, 64, 48, 64 * 48 * 3],
        ]);
        const fill = expectedFill(job);
        for (const { rgb } of output.images) {
          if (scheduler === 'ddim') {
            // DDIM with set_alpha_to_one=false stops at ᾱ[0], leaving sqrt(1−ᾱ[0]) ≈ 0.029 of the initial noise in the
            // latents (as diffusers does); only the region's average is pinned.
            meanColour(rgb, 64, 0, 32).forEach((v, c) => expect(Math.abs(v - fill[c])).toBeLessThan(12));
            meanColour(rgb, 64, 32, 64).forEach((v, c) => expect(Math.abs(v - IMAGE_COLOUR[c])).toBeLessThan(12));
          } else {
            expect(maxDeviation(rgb, 64, 0, 32, fill)).toBeLessThanOrEqual(2);
            expect(maxDeviation(rgb, 64, 32, 64, IMAGE_COLOUR)).toBeLessThanOrEqual(2);
          }
        }
      });
    });
  }
});

describe.skipIf(!haveTokenizer)('inpaint behaviour (fp32 tiny model)', () => {
  let models: SdxlModels;
  beforeAll(async () => {
    models = await loadTinyModels((await tinyModel('fp32')).dir);
  });
  afterAll(async () => models?.release());

  it('follows CFG exactly: x0_u + g·(x0_c − x0_u), with and without a negative prompt', async () => {
    for (const [guidance, negativePrompt] of [[1, undefined], [3, undefined], [8, undefined], [4, 'blue'], [4, '']] as const) {
      const job = solidJob({ guidance, negativePrompt });
      const { images } = await inpaint(models, job, recordingContext(), batched);
      const fill = expectedFill(job);
      expect(maxDeviation(images[0].rgb, 64, 0, 32, fill), `guidance ${guidance}, negative ${negativePrompt}`).toBeLessThanOrEqual(2);
    }
    // The colours really differ between these settings (otherwise the check above proves nothing).
    const a = expectedFill(solidJob({ guidance: 3 }));
    const b = expectedFill(solidJob({ guidance: 8 }));
    const c = expectedFill(solidJob({ guidance: 4, negativePrompt: '' }));
    const d = expectedFill(solidJob({ guidance: 4 }));
    expect(a).not.toEqual(b);
    expect(c).not.toEqual(d);
  });

  it('conditions on (height, width) of a non-square working size', async () => {
    const job = solidJob({ width: 128, height: 96, maskedColumns: 64 });
    const { images } = await inpaint(models, job, recordingContext(), batched);
    expect(maxDeviation(images[0].rgb, 128, 0, 64, expectedFill(job))).toBeLessThanOrEqual(2);
  });

  it('strength 1 starts from pure noise and still reaches the prompt colour', async () => {
    const job = solidJob({ strength: 1, scheduler: 'euler_a' });
    const { images } = await inpaint(models, job, recordingContext(), batched);
    expect(maxDeviation(images[0].rgb, 64, 0, 32, expectedFill(job))).toBeLessThanOrEqual(2);
  });

  it('applies guidance rescale without leaving the image range', async () => {
    const job = solidJob({ guidanceRescale: 0.7 });
    const { images } = await inpaint(models, job, recordingContext(), batched);
    expect(images[0].rgb.length).toBe(64 * 48 * 3);
    // Rescaling shrinks ε toward the text prediction's spread, so the oracle's exact landing moves.
    const plain = await inpaint(models, solidJob(), recordingContext(), batched);
    expect(maxDeviation(images[0].rgb, 64, 0, 32, [...plain.images[0].rgb.subarray(0, 3)])).toBeGreaterThan(5);
    // diffusers rescales only under CFG: with guidance 1 the setting changes nothing.
    const noCfg = await inpaint(models, solidJob({ guidance: 1, guidanceRescale: 0.7 }), recordingContext(), batched);
    const noCfgPlain = await inpaint(models, solidJob({ guidance: 1 }), recordingContext(), batched);
    expect(Buffer.from(noCfg.images[0].rgb).equals(Buffer.from(noCfgPlain.images[0].rgb))).toBe(true);
  });

  it('is bit-reproducible for a seed, and euler_a depends on the seed', async () => {
    // Records the UNet's sample input at every step: the denoising trajectory.
    const trajectory = async (seed: number): Promise<{ rgb: Buffer; inputs: string[] }> => {
      const inputs: string[] = [];
      const original = models.unet.run.bind(models.unet);
      const spy = vi.spyOn(models.unet, 'run').mockImplementation((feeds, fetch) => {
        const data = feeds.sample.tensor.data as Float32Array;
        inputs.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex'));
        return original(feeds, fetch);
      });
      try {
        const { images } = await inpaint(models, solidJob({ scheduler: 'euler_a', seeds: [seed] }), recordingContext(), batched);
        return { rgb: Buffer.from(images[0].rgb), inputs };
      } finally {
        spy.mockRestore();
      }
    };
    const a = await trajectory(11);
    const b = await trajectory(11);
    expect(b.rgb.equals(a.rgb)).toBe(true);
    expect(b.inputs).toEqual(a.inputs);
    // The oracle UNet lands every seed on the same colour, so the seed shows in the trajectory: initial noise and
    // euler_a's per-step noise.
    const c = await trajectory(12);
    expect(c.inputs.length).toBe(a.inputs.length);
    c.inputs.forEach((input, step) => expect(input === a.inputs[step], `step ${step}`).toBe(false));
  });

  it('draws image sample, initial noise, masked-image sample in that order (§5.2) and noises at the first kept step', async () => {
    const job = solidJob({ seeds: [21], strength: 0.7 });
    const { startIndex } = stepsForStrength(job.steps, job.strength);
    expect(startIndex).toBe(2);
    const encode = vi.spyOn(models.vaeEncoder, 'encode');
    const original = models.unet.run.bind(models.unet);
    const inputs: { sample: Float32Array; timestep: number }[] = [];
    const run = vi.spyOn(models.unet, 'run').mockImplementation((feeds, fetch) => {
      inputs.push({ sample: (feeds.sample.tensor.data as Float32Array).slice(), timestep: (feeds.timestep.tensor.data as Float32Array)[0] });
      return original(feeds, fetch);
    });
    try {
      await inpaint(models, job, recordingContext(), batched);
      // Encoded once each, in this order: the full image (strength < 1), then the masked image.
      const [image, masked] = (await Promise.all(encode.mock.results.map((r) => r.value as Promise<EncodedImage>))).map((e) => {
        if (e.kind !== 'distribution') throw new Error('the fp32 tiny VAE returns latent_parameters');
        return e;
      });
      expect(encode).toHaveBeenCalledTimes(2);
      const size = 4 * 8 * 6;
      const plane = 8 * 6;
      const draws = [0, 1, 2].map(() => new Float32Array(size));
      const generator = createGenerator(21);
      for (const d of draws) generator.normal(d);
      const [imageNoise, initialNoise, maskedNoise] = draws;
      const scheduler = createScheduler('euler', models.folder.schedulerConfig, job.steps);
      const sigma = scheduler.sigmas[startIndex];
      const sf = models.folder.summary.vaeScalingFactor;
      expect(inputs[0].timestep).toBe(scheduler.timesteps[startIndex]);
      const first = inputs[0].sample;
      const itemSize = 9 * plane;
      for (const row of [0, 1]) {
        for (let i = 0; i < size; i++) {
          const latent = ((image.mean[i] + image.std[i] * imageNoise[i]) * sf + sigma * initialNoise[i]) / Math.sqrt(sigma * sigma + 1);
          expect(Math.abs(first[row * itemSize + i] - latent), `row ${row} latent ${i}`).toBeLessThan(1e-5);
          const maskedLatent = (masked.mean[i] + masked.std[i] * maskedNoise[i]) * sf;
          expect(Math.abs(first[row * itemSize + size + plane + i] - maskedLatent), `row ${row} masked ${i}`).toBeLessThan(1e-6);
        }
      }
      // The VAE noise is small (logvar −12) but not below the tolerance: a swapped draw would show.
      expect(Math.max(...image.std) * sf).toBeGreaterThan(1e-4);
    } finally {
      run.mockRestore();
      encode.mockRestore();
    }
  });

  it('gives the same images batched and one variation at a time', async () => {
    const job = solidJob({ scheduler: 'euler_a', seeds: [5, 6, 7], strength: 0.7 });
    const together = recordingContext();
    const apart = recordingContext();
    const a = await inpaint(models, job, together, { batchVariations: true });
    const b = await inpaint(models, job, apart, { batchVariations: false });
    expect(a.images.map((i) => i.seed)).toEqual([5, 6, 7]);
    a.images.forEach((image, v) => expect(Buffer.from(b.images[v].rgb).equals(Buffer.from(image.rgb))).toBe(true));
    const denoising = (events: typeof together.events) => events.filter((e) => e.phase === 'denoising');
    expect(denoising(together.events).every((e) => e.variation === null)).toBe(true);
    // strength 0.7 of 6 steps runs trunc(4.2) = 4 steps per variation.
    expect(denoising(apart.events).map((e) => e.variation)).toEqual([...Array(4).fill(0), ...Array(4).fill(1), ...Array(4).fill(2)]);
  });

  it('runs the UNet once per step at batch 2·n with CFG, n without', async () => {
    const calls: number[][] = [];
    const original = models.unet.run.bind(models.unet);
    const spy = vi.spyOn(models.unet, 'run').mockImplementation((feeds, fetch) => {
      calls.push([...feeds.sample.dims]);
      return original(feeds, fetch);
    });
    try {
      await inpaint(models, solidJob({ seeds: [1, 2, 3], steps: 4, strength: 1 }), recordingContext(), batched);
      expect(calls).toEqual(Array(4).fill([6, 9, 6, 8]));
      calls.length = 0;
      await inpaint(models, solidJob({ seeds: [1, 2], steps: 4, strength: 1, guidance: 1 }), recordingContext(), batched);
      expect(calls).toEqual(Array(4).fill([2, 9, 6, 8]));
    } finally {
      spy.mockRestore();
    }
  });

  it('stops before the next UNet run when cancelled', async () => {
    const calls: number[] = [];
    const original = models.unet.run.bind(models.unet);
    const spy = vi.spyOn(models.unet, 'run').mockImplementation((feeds, fetch) => {
      calls.push(1);
      return original(feeds, fetch);
    });
    try {
      const context = recordingContext(3);
      await expect(inpaint(models, solidJob({ steps: 10, seeds: [1, 2] }), context, { batchVariations: false })).rejects.toBeInstanceOf(CancelledError);
      expect(calls.length).toBe(3);
      expect(context.events.filter((e) => e.phase === 'denoising').length).toBe(3);
      expect(context.events.some((e) => e.phase === 'finishing')).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });

  it('reports progress with phases, step counts and latent-resolution previews', async () => {
    const context = recordingContext();
    await inpaint(models, solidJob({ steps: 10, strength: 1 }), context, { batchVariations: true, previewEvery: 4 });
    const phases = [...new Set(context.events.map((e) => e.phase))];
    expect(phases).toEqual(['preparing', 'denoising', 'finishing']);
    const denoising = context.events.filter((e) => e.phase === 'denoising');
    expect(denoising.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(denoising.every((e) => e.steps === 10)).toBe(true);
    expect(denoising.filter((e) => e.preview).map((e) => e.step)).toEqual([4, 8, 10]);
    const preview = denoising[3].preview!;
    expect([preview.width, preview.height, preview.rgb.length]).toEqual([8, 6, 8 * 6 * 3]);
    // Previews show the x0 prediction, which the oracle UNet gets exactly right from the first step: the masked
    // (left) half of the preview is already final, while the noisy latents would still be changing.
    const leftHalf = (rgb: Uint8Array) => Array.from({ length: 6 }, (_, y) => [...rgb.subarray(y * 24, y * 24 + 12)]);
    expect(leftHalf(denoising[3].preview!.rgb)).toEqual(leftHalf(denoising[9].preview!.rgb));
  });

  it('warns about prompt tokens beyond the 77-token limit', async () => {
    const prompt = Array(90).fill('red').join(' ');
    const { warnings } = await inpaint(models, solidJob({ prompt }), recordingContext(), batched);
    expect(warnings).toEqual(['prompt: 15 tokens beyond the 77-token limit were ignored']);
  });

  it('rejects working sizes that are not multiples of 8', async () => {
    await expect(inpaint(models, solidJob({ width: 60, height: 48, maskedColumns: 32 }), recordingContext(), batched)).rejects.toThrow(
      /working width 60 is not a positive multiple of 8/,
    );
  });
});

describe.skipIf(!haveTokenizer)('inpaint failure modes', () => {
  it('turns NaN decoder output into an error naming the fp16 VAE and the remedy', async () => {
    const models = await loadTinyModels((await tinyModel('fp16', { nanDecoder: true })).dir);
    try {
      const error = await inpaint(models, solidJob(), recordingContext(), batched).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('EngineError');
      expect((error as Error).message).toMatch(/NaN\/Inf/);
      expect((error as Error).message).toMatch(/fp16-fix/);
      expect((error as Error).message).toMatch(/fp32/);
      expect((error as Error).message).toBe(NAN_DECODER_MESSAGE);
    } finally {
      await models.release();
    }
  });

  it('does not blame an fp32 VAE for fp16 overflow', async () => {
    const models = await loadTinyModels((await tinyModel('fp32', { nanDecoder: true })).dir);
    try {
      const error = await inpaint(models, solidJob(), recordingContext(), batched).catch((e: unknown) => e);
      expect((error as Error).name).toBe('EngineError');
      expect((error as Error).message).toBe(NAN_FP32_DECODER_MESSAGE);
      expect((error as Error).message).not.toMatch(/fp16-fix/);
    } finally {
      await models.release();
    }
  });

  it('names the UNet, not the VAE, when the latents are already NaN', async () => {
    const models = await loadTinyModels((await tinyModel('fp32')).dir);
    const decode = vi.spyOn(models.vaeDecoder, 'decode');
    const run = vi.spyOn(models.unet, 'run').mockImplementation((feeds) => {
      const [batch, , h, w] = feeds.sample.dims;
      return Promise.resolve({ out_sample: { type: 'float32', data: new Float32Array(batch * 4 * h * w).fill(Number.NaN), dims: [batch, 4, h, w] } });
    });
    try {
      const error = await inpaint(models, solidJob(), recordingContext(), batched).catch((e: unknown) => e);
      expect((error as Error).name).toBe('EngineError');
      expect((error as Error).message).toBe(NAN_LATENTS_MESSAGE);
      expect(decode).toHaveBeenCalledTimes(1);
    } finally {
      run.mockRestore();
      decode.mockRestore();
      await models.release();
    }
  });
});

describe.skipIf(!haveTokenizer)('low-memory mode', () => {
  it('releases the text encoders after each job and reopens them only for a prompt not in the cache', async () => {
    const runtime = new FakeRuntime();
    const models = await loadTinyModels((await tinyModel('fp32')).dir, true, runtime);
    const loaded = runtime.requests.length;
    const opened = {
      get labels() {
        return runtime.requests.slice(loaded).map((r) => r.label);
      },
    };
    try {
      expect(models.prompts.sessionsLoaded).toBe(false);
      const first = await inpaint(models, solidJob(), recordingContext(), batched);
      expect(opened.labels).toEqual(['text_encoder', 'text_encoder_2']);
      expect(models.prompts.sessionsLoaded).toBe(false);
      const again = await inpaint(models, solidJob(), recordingContext(), batched);
      expect(opened.labels).toHaveLength(2);
      expect(Buffer.from(again.images[0].rgb).equals(Buffer.from(first.images[0].rgb))).toBe(true);
      const job = solidJob({ prompt: 'a green tree' });
      const other = await inpaint(models, job, recordingContext(), batched);
      expect(opened.labels).toEqual(['text_encoder', 'text_encoder_2', 'text_encoder', 'text_encoder_2']);
      expect(models.prompts.sessionsLoaded).toBe(false);
      // Only the UNet and the VAE stay open between jobs.
      expect(runtime.open).toBe(3);
      expect(maxDeviation(other.images[0].rgb, 64, 0, 32, expectedFill(job))).toBeLessThanOrEqual(2);
    } finally {
      await models.release();
    }
  });
});

describe.skipIf(!haveTokenizer)('1024×1024 smoke test', () => {
  it('runs a full-size job end to end', async () => {
    const models = await loadTinyModels((await tinyModel('fp32')).dir);
    try {
      const job = solidJob({ width: 1024, height: 1024, steps: 2, strength: 1 });
      const { images } = await inpaint(models, job, recordingContext(), batched);
      expect(images[0].rgb.length).toBe(1024 * 1024 * 3);
      expect(maxDeviation(images[0].rgb, 1024, 0, 512, expectedFill(job))).toBeLessThanOrEqual(2);
    } finally {
      await models.release();
    }
  });
});
