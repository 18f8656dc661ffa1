// Soft-edge denoising (differential diffusion): which selections count as soft, when each latent cell is released,
// that the blending turns a soft ramp into a graded, monotone transition, and that the pipeline without it is
// untouched.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../../service/errors';
import { inpaint } from '../../service/pipeline/inpaint';
import { createScheduler, SDXL_SCHEDULER_CONFIG } from '../../service/pipeline/schedulers';
import type { SdxlModels } from '../../service/pipeline/sdxl-models';
import { isSoftSelection, releaseSteps, softBandWidth, SoftBlend } from '../../service/pipeline/soft-inpainting';
import { LATENT_CHANNELS } from '../../service/pipeline/vae';
import { tokenizerFilesAvailable, TOKENIZER_SKIP_MESSAGE } from '../models/tiny-sdxl';
import { IMAGE_COLOUR, loadTinyModels, maxDeviation, meanColour, recordingContext, removeTinyModels, solidJob, tinyModel } from './fixtures';

/** A W×H mask whose value depends on the column only. */
function columnMask(width: number, height: number, value: (x: number) => number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) mask[y * width + x] = value(x);
  return mask;
}

describe('soft selections', () => {
  it('measures the soft band along the edge: hard and anti-aliased selections are not soft, a feather is', () => {
    const hard = columnMask(64, 32, (x) => (x < 32 ? 255 : 0));
    expect(softBandWidth(hard, 64, 32)).toBe(0);
    const antialiased = columnMask(64, 32, (x) => (x < 32 ? 255 : x === 32 ? 128 : 0));
    expect(softBandWidth(antialiased, 64, 32)).toBeCloseTo(1, 5);
    expect(isSoftSelection(antialiased, 64, 32)).toBe(false);
    // A 16-pixel linear feather.
    const feathered = columnMask(64, 32, (x) => Math.max(0, Math.min(255, Math.round(255 * (40 - x) / 16))));
    expect(softBandWidth(feathered, 64, 32)).toBeGreaterThan(10);
    expect(isSoftSelection(feathered, 64, 32)).toBe(true);
  });

  it('releases a cell at step ⌈(1 − s)·N⌉ of N, s the mean of its 8×8 block; s = 0 never', () => {
    const mask = columnMask(40, 8, (x) => [0, 0, 128, 64, 255][Math.floor(x / 8)]);
    // A block half at 255 and half at 0 averages to s = 0.5.
    for (let y = 0; y < 8; y++) mask.fill(255, y * 40, y * 40 + 4);
    const release = releaseSteps(mask, 40, 8, 10);
    expect(Array.from(release)).toEqual([5, 10, Math.ceil((1 - 128 / 255) * 10), Math.ceil((1 - 64 / 255) * 10), 0]);
  });
});

describe('differential diffusion on a ramp (Euler, a denoiser that pulls towards a target)', () => {
  // One latent row of 8 cells whose mask rises 0 → 1; the model's x0 estimate moves 30 % of the way to 1 per step.
  const steps = 10;
  const width = 64;
  const cells = width / 8;
  const ramp = columnMask(width, 8, (x) => Math.round((255 * Math.floor(x / 8)) / (cells - 1)));

  function run(soft: boolean): Float32Array {
    const scheduler = createScheduler('euler', SDXL_SCHEDULER_CONFIG, steps);
    const size = LATENT_CHANNELS * cells;
    const original = new Float32Array(size);
    // Noise-free, so the pull alone decides: a cell released at step r gets the pulls of steps r … N−1.
    const noise = new Float32Array(size);
    const latents = new Float32Array(size);
    scheduler.addNoise(original, noise, 0, latents);
    const blend = soft ? new SoftBlend(ramp, width, 8, steps) : null;
    blend?.keep(0, original, noise);
    const epsilon = new Float32Array(size);
    for (let i = 0; i < steps; i++) {
      blend?.pin(0, i, i, scheduler, latents);
      const sigma = scheduler.sigmas[i];
      // x0 = x − σ·ε = x + 0.3·(1 − x)  ⇒  ε = 0.3·(x − 1)/σ
      for (let k = 0; k < size; k++) epsilon[k] = (0.3 * (latents[k] - 1)) / sigma;
      scheduler.step(epsilon, i, latents);
    }
    return latents.subarray(0, cells); // channel 0
  }

  it('gives a graded transition that rises monotonically with the mask', () => {
    const soft = Array.from(run(true));
    for (let k = 1; k < cells; k++) expect(soft[k]).toBeGreaterThan(soft[k - 1]);
    // Without the blending the mask does not matter: one value everywhere.
    const plain = Array.from(run(false));
    expect(Math.max(...plain) - Math.min(...plain)).toBeLessThan(1e-6);
    // Graded: every mask level gets its own value; a fully selected cell is the plain result; an unselected one is
    // pinned to the original (0) up to the last step, whose x0 estimate (σ = 0 next) is 0 + 0.3·(1 − 0).
    expect(new Set(soft.map((v) => v.toFixed(3))).size).toBe(cells);
    expect(soft[cells - 1]).toBeCloseTo(plain[0], 6);
    expect(soft[0]).toBeCloseTo(0.3, 6);
    expect(plain[0]).toBeGreaterThan(0.7);
  });
});

const haveTokenizer = tokenizerFilesAvailable();
if (!haveTokenizer) console.warn(TOKENIZER_SKIP_MESSAGE);

describe.skipIf(!haveTokenizer)('soft inpainting in the pipeline (fp32 tiny model)', () => {
  let models: SdxlModels;
  beforeAll(async () => {
    models = await loadTinyModels((await tinyModel('fp32')).dir);
  });
  afterAll(async () => {
    await models?.release();
    await removeTinyModels();
  });

  /** Left 24 columns fully masked, a soft ramp over the next 16, the rest untouched. */
  function softJob(overrides: Parameters<typeof solidJob>[0] = {}) {
    const job = solidJob({ seeds: [3, 4], ...overrides });
    job.mask = columnMask(64, 48, (x) => (x < 24 ? 255 : x < 40 ? Math.round((255 * (40 - x)) / 16) : 0));
    return job;
  }

  it('off is the plain pipeline byte for byte', async () => {
    const off = await inpaint(models, { ...softJob(), softInpainting: false }, recordingContext(), { batchVariations: true });
    const absent = await inpaint(models, softJob(), recordingContext(), { batchVariations: true });
    expect(off.images.map((i) => Buffer.from(i.rgb).toString('base64'))).toEqual(absent.images.map((i) => Buffer.from(i.rgb).toString('base64')));
  });

  it.each(['euler', 'euler_a', 'dpmpp_2m', 'ddim'] as const)('%s: keeps the untouched side and fills the masked side', async (scheduler) => {
    for (const strength of [0.99, 1]) {
      const job = { ...softJob({ scheduler, strength }), softInpainting: true };
      const output = await inpaint(models, job, recordingContext(), { batchVariations: false });
      for (const { rgb } of output.images) {
        // DDIM leaves sqrt(1 − ᾱ[0]) of the noise in (as diffusers does): only its average is pinned.
        if (scheduler === 'ddim') meanColour(rgb, 64, 48, 64).forEach((v, c) => expect(Math.abs(v - IMAGE_COLOUR[c])).toBeLessThan(12));
        else expect(maxDeviation(rgb, 64, 48, 64, IMAGE_COLOUR)).toBeLessThanOrEqual(2);
        expect(maxDeviation(rgb, 64, 0, 16, IMAGE_COLOUR)).toBeGreaterThan(20);
      }
    }
  });

  it('pins exactly the cells not yet released: the UNet sees them differ from the plain run, the others not', async () => {
    // Records the noisy latents (channels 0–3 of the first batch row) the UNet is given at every step.
    const trajectory = async (softInpainting: boolean): Promise<Float32Array[]> => {
      const steps: Float32Array[] = [];
      const original = models.unet.run.bind(models.unet);
      const spy = vi.spyOn(models.unet, 'run').mockImplementation((feeds, fetch) => {
        steps.push((feeds.sample.tensor.data as Float32Array).slice(0, 4 * 8 * 6));
        return original(feeds, fetch);
      });
      try {
        await inpaint(models, { ...softJob({ seeds: [9], steps: 8 }), softInpainting }, recordingContext(), { batchVariations: false });
        return steps;
      } finally {
        spy.mockRestore();
      }
    };
    const [soft, plain] = [await trajectory(true), await trajectory(false)];
    const release = releaseSteps(softJob().mask, 64, 48, 8);
    expect(new Set(release).size).toBeGreaterThan(3);
    const plane = release.length;
    expect(soft).toHaveLength(plain.length);
    soft.forEach((latents, i) => {
      for (let k = 0; k < plane; k++) {
        const same = [0, 1, 2, 3].every((c) => latents[c * plane + k] === plain[i][c * plane + k]);
        // Free from the start (or pinned only at step 0, where pinning changes nothing): the plain trajectory.
        if (release[k] <= 1) expect(same, `step ${i}, cell ${k}`).toBe(true);
        // Still pinned after step 0: the original's latents, not where the plain run went.
        else if (i >= 1 && release[k] > i) expect(same, `step ${i}, cell ${k}`).toBe(false);
      }
    });
  });

  it('a cancel hands over the variations already decoded', async () => {
    const job = solidJob({ seeds: [5, 6, 7], steps: 3 });
    // Variation 0 runs 3 steps and is decoded; the cancel lands during variation 1.
    const error = await inpaint(models, job, recordingContext(4), { batchVariations: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).finished.map((i) => i.seed)).toEqual([5]);
    expect((error as CancelledError).finished[0].rgb.length).toBe(64 * 48 * 3);
  });
});
