/**
 * The VAE halves of the export. The encoder runs once per job per image; sampling from its Gaussian happens per
 * variation with that variation's generator (spec §4, §5.2). The decoder turns final latents into 8-bit RGB and
 * refuses NaN/Inf with its likely cause: non-finite latents (the UNet), or, from an fp16 decoder, an SDXL VAE that is
 * not the fp16-fix one.
 */
import { EngineError } from '../errors';
import { tensorSize } from '../runtime/runtime';
import { outputAsFloat32 } from '../runtime/session';
import type { ModelSession } from '../runtime/session';
import { VAE_SCALE } from './inpaint-inputs';
import { reusedFeed, reusedFloat32 } from './reused-buffers';

export const LATENT_CHANNELS = 4;
const LOGVAR_MIN = -30;
const LOGVAR_MAX = 20;

/** Encoder output: Gaussian parameters (optimum ≥ 1.23) or a latent already sampled inside the graph (older exports). */
export type EncodedImage =
  | { kind: 'distribution'; mean: Float32Array; std: Float32Array }
  | { kind: 'sampled'; latent: Float32Array };

export interface NormalSource {
  normal(out: Float32Array): void;
}

export class VaeEncoder {
  private readonly output: 'latent_parameters' | 'latent_sample';

  constructor(private readonly session: ModelSession) {
    if (session.hasOutput('latent_parameters')) this.output = 'latent_parameters';
    else if (session.hasOutput('latent_sample')) this.output = 'latent_sample';
    else {
      throw new EngineError(
        `vae_encoder: expected an output "latent_parameters" or "latent_sample", found ${[...session.outputs.keys()].join(', ')}`,
      );
    }
  }

  /** Encodes one [3,H,W] image in [-1,1]. */
  async encode(image: Float32Array, width: number, height: number): Promise<EncodedImage> {
    const feed = reusedFeed(this.session, 'sample', [1, 3, height, width]);
    feed.set(image);
    const result = await this.session.run({ sample: feed }, [this.output]);
    const values = outputAsFloat32(result[this.output], 'vae_encoder');
    const plane = (width / VAE_SCALE) * (height / VAE_SCALE);
    const latentSize = LATENT_CHANNELS * plane;
    if (this.output === 'latent_sample') {
      if (values.length !== latentSize) throw new EngineError(`vae_encoder: latent_sample has ${values.length} values, expected ${latentSize}`);
      return { kind: 'sampled', latent: values.slice() };
    }
    if (values.length !== 2 * latentSize) {
      throw new EngineError(`vae_encoder: latent_parameters has ${values.length} values, expected ${2 * latentSize} (8 channels)`);
    }
    const mean = values.slice(0, latentSize);
    const std = new Float32Array(latentSize);
    for (let i = 0; i < latentSize; i++) {
      const logvar = Math.min(LOGVAR_MAX, Math.max(LOGVAR_MIN, values[latentSize + i]));
      std[i] = Math.exp(0.5 * logvar);
    }
    return { kind: 'distribution', mean, std };
  }
}

/**
 * Writes `sample(encoded) · scalingFactor` into `out`. A distribution draws its noise from `generator` (one draw of
 * out.length values); a graph-sampled latent draws nothing.
 */
export function sampleLatent(encoded: EncodedImage, generator: NormalSource, scalingFactor: number, out: Float32Array): void {
  if (encoded.kind === 'sampled') {
    for (let i = 0; i < out.length; i++) out[i] = encoded.latent[i] * scalingFactor;
    return;
  }
  generator.normal(out);
  const { mean, std } = encoded;
  for (let i = 0; i < out.length; i++) out[i] = (mean[i] + std[i] * out[i]) * scalingFactor;
}

/** NaN/Inf out of an fp16 decoder: most likely the stock SDXL VAE overflowing in fp16 (spec §8.7). */
export const NAN_DECODER_MESSAGE =
  'the VAE decoder produced NaN/Inf values. The likely cause is the known fp16 overflow of the original SDXL VAE: ' +
  'this export has an fp16 VAE that is not the fp16-fix VAE. Export the VAE (vae_encoder, vae_decoder) in fp32, or ' +
  'export with madebyollin/sdxl-vae-fp16-fix as the VAE.';

/** NaN/Inf out of an fp32 decoder fed finite latents: no overflow explains that, the graph itself is broken. */
export const NAN_FP32_DECODER_MESSAGE =
  'the VAE decoder produced NaN/Inf values from finite latents although it runs in fp32, so its graph is damaged or ' +
  'was not exported from an SDXL VAE: export the model again.';

/** Non-finite latents reach the decoder only when the UNet returned NaN/Inf; blaming the VAE would mislead. */
export const NAN_LATENTS_MESSAGE =
  'denoising produced NaN/Inf latents: the UNet returned non-finite values, so there is no image to decode. This ' +
  'points at the UNet export (an fp16 UNet that overflows, or a damaged file): export it again, in fp32 if it was fp16.';

export class VaeDecoder {
  /** Which NaN/Inf explanation fits this decoder's precision. */
  private readonly nanMessage: string;

  constructor(private readonly session: ModelSession) {
    if (!session.hasOutput('sample')) {
      throw new EngineError(`vae_decoder: expected an output "sample", found ${[...session.outputs.keys()].join(', ')}`);
    }
    this.nanMessage = session.input('latent_sample').type === 'float16' ? NAN_DECODER_MESSAGE : NAN_FP32_DECODER_MESSAGE;
  }

  /** Decodes one variation's latents ([4,h,w], in the scheduler's scaled space) to RGB interleaved uint8. */
  async decode(latents: Float32Array, width: number, height: number, scalingFactor: number): Promise<Uint8Array> {
    const latentWidth = width / VAE_SCALE;
    const latentHeight = height / VAE_SCALE;
    const feed = reusedFeed(this.session, 'latent_sample', [1, LATENT_CHANNELS, latentHeight, latentWidth]);
    const window = feed.float32();
    const inverse = 1 / scalingFactor;
    let finite = true;
    for (let i = 0; i < latents.length; i++) {
      const value = latents[i];
      if (!Number.isFinite(value)) finite = false;
      window[i] = value * inverse;
    }
    if (!finite) throw new EngineError(NAN_LATENTS_MESSAGE);
    feed.commit();
    const result = await this.session.run({ latent_sample: feed }, ['sample']);
    const plane = width * height;
    const output = result.sample;
    if (tensorSize(output) !== 3 * plane) throw new EngineError(`vae_decoder: output has ${tensorSize(output)} values, expected ${3 * plane}`);
    // An fp32 output is read in place; an fp16 one is widened into a buffer kept for the next variation and job.
    const pixels = outputAsFloat32(output, 'vae_decoder', output.type === 'float32' ? undefined : reusedFloat32('vae-decoder.sample', 3 * plane));
    return decodedToRgb(pixels, plane, this.nanMessage);
  }
}

/** [3,H,W] in ≈[-1,1] → interleaved uint8: round(clamp(x·0.5+0.5, 0, 1)·255). Throws `nanMessage` on NaN/Inf. */
export function decodedToRgb(pixels: Float32Array, plane: number, nanMessage: string = NAN_DECODER_MESSAGE): Uint8Array {
  const rgb = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    for (let p = 0; p < plane; p++) {
      const x = pixels[base + p];
      if (!Number.isFinite(x)) throw new EngineError(nanMessage);
      const unit = Math.min(1, Math.max(0, x * 0.5 + 0.5));
      rgb[p * 3 + c] = Math.round(unit * 255);
    }
  }
  return rgb;
}
