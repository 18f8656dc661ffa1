/**
 * Soft-edge denoising: differential diffusion (Levin & Fried 2023; diffusers'
 * `StableDiffusionXLDifferentialImg2ImgPipeline`, A1111's "soft inpainting"). A feathered selection is a per-pixel
 * amount of change s ∈ [0,1]. Before the i-th step run (i = 0, 1, …), every latent cell whose s is below 1 − i/N
 * (N = the job's steps, as diffusers' thresholds `arange(N)/N`; with strength < 1 fewer steps run and the softest
 * cells stay pinned) is replaced by the original image's latents noised to that step's level (the scheduler's
 * add_noise with the variation's initial noise). Cells with s = 1 are free from the first step, s = 0.5 from the
 * middle one, s → 0 only at the end, so the feathered band is generated with less and less freedom instead of
 * cross-faded afterwards.
 *
 * What the UNet sees: its mask and masked-image channels stay exactly diffusers' (binarised at 0.5). The inpainting
 * UNet was trained on binary masks only; the soft part of the selection is expressed by this per-step blending alone.
 */
import { VAE_SCALE } from './inpaint-inputs';
import type { Scheduler } from './schedulers/scheduler';
import { LATENT_CHANNELS } from './vae';

/** A selection counts as soft when its edge band is at least this wide on average (anti-aliasing gives ~1 px). */
export const SOFT_BAND_MIN_WIDTH = 3;

/**
 * Average width in pixels of the soft band (0 < m < 255) along the selection's edge: soft pixels per pixel of the
 * binarised boundary. A hard or anti-aliased selection gives ≤ ~1.5, a feather of r pixels about 2r.
 */
export function softBandWidth(mask: Uint8Array, width: number, height: number): number {
  let soft = 0;
  let boundary = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const m = mask[row + x];
      if (m > 0 && m < 255) soft++;
      if (m < 128) continue;
      const edge =
        (x > 0 && mask[row + x - 1] < 128) ||
        (x + 1 < width && mask[row + x + 1] < 128) ||
        (y > 0 && mask[row - width + x] < 128) ||
        (y + 1 < height && mask[row + width + x] < 128);
      if (edge) boundary++;
    }
  }
  if (soft === 0) return 0;
  // A selection made only of soft values (no pixel ≥ 128) is as soft as it gets.
  return boundary === 0 ? Infinity : soft / boundary;
}

/** True for a feathered selection; a hard or anti-aliased one keeps the plain (diffusers) path. */
export function isSoftSelection(mask: Uint8Array, width: number, height: number): boolean {
  return softBandWidth(mask, width, height) >= SOFT_BAND_MIN_WIDTH;
}

/**
 * For each latent cell, the first step run (0..steps) at which it is denoised freely: ⌈(1 − s)·N⌉ — diffusers pins
 * while map > i/N with map = 1 − s — where s is the mean of the cell's 8×8 pixel block. N (or more than the steps
 * run) = never.
 */
export function releaseSteps(mask: Uint8Array, width: number, height: number, steps: number): Uint16Array {
  const latentWidth = width / VAE_SCALE;
  const latentHeight = height / VAE_SCALE;
  const release = new Uint16Array(latentWidth * latentHeight);
  const blockArea = VAE_SCALE * VAE_SCALE * 255;
  for (let ly = 0; ly < latentHeight; ly++) {
    for (let lx = 0; lx < latentWidth; lx++) {
      let sum = 0;
      for (let dy = 0; dy < VAE_SCALE; dy++) {
        const row = (ly * VAE_SCALE + dy) * width + lx * VAE_SCALE;
        for (let dx = 0; dx < VAE_SCALE; dx++) sum += mask[row + dx];
      }
      const s = sum / blockArea;
      release[ly * latentWidth + lx] = Math.min(steps, Math.ceil((1 - s) * steps - 1e-9));
    }
  }
  return release;
}

/** A zero "generator": sampling an encoded image with it gives the distribution's mean, and draws nothing. */
export const MEAN_SOURCE = { normal: (out: Float32Array): void => void out.fill(0) };

/** Per-job state of the blending: the release step of each cell, and each variation's original latents and noise. */
export class SoftBlend {
  readonly #release: Uint16Array;
  readonly #originals: Float32Array[] = [];
  readonly #noises: Float32Array[] = [];
  readonly #noised: Float32Array;

  /** `steps`: the job's step count before strength (N), not the steps run. */
  constructor(mask: Uint8Array, width: number, height: number, steps: number) {
    this.#release = releaseSteps(mask, width, height, steps);
    this.#noised = new Float32Array(LATENT_CHANNELS * this.#release.length);
  }

  /** Keeps variation `v`'s clean image latents and its initial noise (copied; the callers reuse their buffers). */
  keep(v: number, original: Float32Array, noise: Float32Array): void {
    this.#originals[v] = original.slice();
    this.#noises[v] = noise.slice();
  }

  /** Before the i-th step run (absolute index `stepIndex`): cells not yet released take the noised original latents. */
  pin(v: number, i: number, stepIndex: number, scheduler: Scheduler, latents: Float32Array): void {
    const release = this.#release;
    const plane = release.length;
    scheduler.addNoise(this.#originals[v], this.#noises[v], stepIndex, this.#noised);
    for (let k = 0; k < plane; k++) {
      if (release[k] <= i) continue;
      for (let c = 0; c < LATENT_CHANNELS; c++) latents[c * plane + k] = this.#noised[c * plane + k];
    }
  }
}
