/**
 * A cheap progress preview: SDXL latents mapped to RGB by a fixed linear approximation (the 4×3 factors popularised
 * by ComfyUI's SDXL latent format), at latent resolution. Costs one pass over h·w·4 values; no VAE run.
 */
import type { EnginePreview } from '../engine-io';

/** Rows: latent channels 0..3; columns: R, G, B. */
const LATENT_TO_RGB = [
  [0.3651, 0.4232, 0.4341],
  [-0.2533, -0.0042, 0.1068],
  [0.1076, 0.1111, -0.0362],
  [-0.3165, -0.2492, -0.2188],
] as const;
const RGB_BIAS = [0.1084, -0.0175, -0.0011] as const;

/** `latents` is one variation's [4,h,w] (clean-latent scale, i.e. already × scaling_factor). */
export function latentPreview(latents: Float32Array, latentWidth: number, latentHeight: number): EnginePreview {
  const plane = latentWidth * latentHeight;
  const rgb = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    const l0 = latents[p];
    const l1 = latents[plane + p];
    const l2 = latents[2 * plane + p];
    const l3 = latents[3 * plane + p];
    for (let c = 0; c < 3; c++) {
      const v =
        l0 * LATENT_TO_RGB[0][c] + l1 * LATENT_TO_RGB[1][c] + l2 * LATENT_TO_RGB[2][c] + l3 * LATENT_TO_RGB[3][c] + RGB_BIAS[c];
      // v is in ≈[-1,1]; NaN compares false and lands on 0.
      const unit = v * 0.5 + 0.5;
      rgb[p * 3 + c] = unit > 1 ? 255 : unit > 0 ? Math.round(unit * 255) : 0;
    }
  }
  return { width: latentWidth, height: latentHeight, rgb };
}
