/** The five SDXL-inpainting graphs of an optimum export, each built from its config and a weight source. */
import type { GraphComponent } from '../pipeline/model-folder';
import { buildClipText } from './clip-text';
import { parseClipTextConfig, parseUnetConfig, parseVaeConfig } from './configs';
import type { ComputeType, Net } from './layers';
import { buildUnet } from './unet';
import { buildVaeDecoder, buildVaeEncoder } from './vae';
import type { WeightSource } from './weights';

type Json = Record<string, unknown>;

export interface SdxlGraphInputs {
  configs: Record<'unet' | 'vae' | 'text_encoder' | 'text_encoder_2', Json>;
  weights: Record<'unet' | 'vae' | 'text_encoder' | 'text_encoder_2', WeightSource>;
  /** Maps a weight file to its location relative to the graph file. */
  locate(file: string): string;
  /** UNet and text encoders; the VAE always computes in float32 (SDXL's VAE overflows in fp16). */
  compute?: ComputeType;
}

export function buildSdxlGraph(component: GraphComponent, inputs: SdxlGraphInputs): Net {
  const compute = inputs.compute ?? 'float32';
  const { configs, weights, locate } = inputs;
  switch (component) {
    case 'unet':
      return buildUnet(parseUnetConfig(configs.unet), { weights: weights.unet, locate, compute });
    case 'vae_encoder':
      return buildVaeEncoder(parseVaeConfig(configs.vae), { weights: weights.vae, locate, compute: 'float32' });
    case 'vae_decoder':
      return buildVaeDecoder(parseVaeConfig(configs.vae), { weights: weights.vae, locate, compute: 'float32' });
    case 'text_encoder':
      return buildClipText(parseClipTextConfig(configs.text_encoder, 'text_encoder/config.json', false), { weights: weights.text_encoder, locate, compute }, component);
    case 'text_encoder_2':
      return buildClipText(parseClipTextConfig(configs.text_encoder_2, 'text_encoder_2/config.json', true), { weights: weights.text_encoder_2, locate, compute }, component);
  }
}
