/**
 * Pixel-side inputs of the inpainting UNet (spec §4): the image in [-1,1] NCHW, the binarised mask, the masked image
 * (pixels to fill set to 0.0, i.e. mid-grey) and the mask at latent resolution. The service has already resized
 * image and mask to the working size; nothing here resamples.
 */
import { BINARIZE_THRESHOLD } from '../../core/mask';
import { EngineError } from '../errors';
import { reusedFloat32 } from './reused-buffers';

export const VAE_SCALE = 8;

export interface InpaintInputs {
  width: number;
  height: number;
  /** [3,H,W] in [-1,1]. */
  image: Float32Array;
  /** [3,H,W] in [-1,1], 0 where the mask is set. */
  maskedImage: Float32Array;
  /** [H/8,W/8], 1 = repaint: the top-left pixel of each 8×8 block (torch nearest interpolation at an exact ×8). */
  latentMask: Float32Array;
}

/** Rejects working sizes the VAE cannot map to latents exactly (we never squash to fix them). */
export function checkWorkingSize(width: number, height: number): void {
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(value) || value < VAE_SCALE || value % VAE_SCALE !== 0) {
      throw new EngineError(`working ${name} ${value} is not a positive multiple of ${VAE_SCALE}; SDXL works on 8×8 latent blocks`);
    }
  }
}

/** diffusers binarises mask/255 at 0.5: an 8-bit value ≥128 repaints. */
export function isRepainted(maskValue: number): boolean {
  return maskValue >= BINARIZE_THRESHOLD;
}

/** The planes are reused by the next call of the same size (reused-buffers.ts): use them within one job. */
export function prepareInpaintInputs(width: number, height: number, rgb: Uint8Array, mask: Uint8Array): InpaintInputs {
  checkWorkingSize(width, height);
  const pixels = width * height;
  if (rgb.length !== pixels * 3) throw new EngineError(`image has ${rgb.length} bytes; ${width}×${height} RGB needs ${pixels * 3}`);
  if (mask.length !== pixels) throw new EngineError(`mask has ${mask.length} bytes; ${width}×${height} gray needs ${pixels}`);

  // Every value is written below, so the previous job's planes can be reused.
  const image = reusedFloat32('inpaint-inputs.image', pixels * 3);
  const maskedImage = reusedFloat32('inpaint-inputs.maskedImage', pixels * 3);
  for (let c = 0; c < 3; c++) {
    const plane = c * pixels;
    for (let p = 0; p < pixels; p++) {
      const value = rgb[p * 3 + c] / 127.5 - 1;
      image[plane + p] = value;
      maskedImage[plane + p] = isRepainted(mask[p]) ? 0 : value;
    }
  }

  const latentWidth = width / VAE_SCALE;
  const latentHeight = height / VAE_SCALE;
  const latentMask = new Float32Array(latentWidth * latentHeight);
  for (let y = 0; y < latentHeight; y++) {
    for (let x = 0; x < latentWidth; x++) {
      latentMask[y * latentWidth + x] = isRepainted(mask[y * VAE_SCALE * width + x * VAE_SCALE]) ? 1 : 0;
    }
  }
  return { width, height, image, maskedImage, latentMask };
}
