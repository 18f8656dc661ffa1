/**
 * diffusers' AutoencoderKL as optimum exports it: `vae_encoder` (sample → latent_parameters = mean‖logvar, i.e. the
 * quant_conv output) and `vae_decoder` (latent_sample, already divided by the scaling factor → sample).
 */
import type { VaeConfig } from './configs';
import { attention, conv2d, fromTokens, groupNorm, linear, Net, silu, toTokens, upsampleNearest2x } from './layers';
import type { NetOptions } from './layers';

/** diffusers builds every AutoencoderKL norm with eps 1e-6. */
const EPS = 1e-6;

function resnet(net: Net, config: VaeConfig, x: string, prefix: string, inChannels: number, outChannels: number): string {
  let h = silu(net, groupNorm(net, x, `${prefix}.norm1`, inChannels, config.normGroups, EPS));
  h = conv2d(net, h, `${prefix}.conv1`, inChannels, outChannels, 3);
  h = silu(net, groupNorm(net, h, `${prefix}.norm2`, outChannels, config.normGroups, EPS));
  h = conv2d(net, h, `${prefix}.conv2`, outChannels, outChannels, 3);
  const shortcut = inChannels === outChannels ? x : conv2d(net, x, `${prefix}.conv_shortcut`, inChannels, outChannels, 1);
  return net.op('Add', [shortcut, h]);
}

/** The mid block's single-head self-attention over all pixels, with residual. */
function selfAttention(net: Net, config: VaeConfig, x: string, prefix: string, channels: number): string {
  const tokens = toTokens(net, groupNorm(net, x, `${prefix}.group_norm`, channels, config.normGroups, EPS));
  const project = (name: string, v: string): string => linear(net, v, `${prefix}.${name}`, channels, channels);
  const context = attention(net, project('to_q', tokens), project('to_k', tokens), project('to_v', tokens), 1, channels);
  return net.op('Add', [fromTokens(net, project('to_out.0', context), x), x]);
}

function midBlock(net: Net, config: VaeConfig, x: string, prefix: string, channels: number): string {
  let h = resnet(net, config, x, `${prefix}.resnets.0`, channels, channels);
  if (config.midBlockAttention) h = selfAttention(net, config, h, `${prefix}.attentions.0`, channels);
  return resnet(net, config, h, `${prefix}.resnets.1`, channels, channels);
}

export function buildVaeEncoder(config: VaeConfig, options: NetOptions): Net {
  const net = new Net('vae_encoder', options);
  const channels = config.blockOutChannels;
  const sample = net.input('sample', ['batch', config.inChannels, 'height', 'width']);
  let h = conv2d(net, sample, 'encoder.conv_in', config.inChannels, channels[0], 3);
  let current = channels[0];
  channels.forEach((width, i) => {
    for (let j = 0; j < config.layersPerBlock; j++) {
      h = resnet(net, config, h, `encoder.down_blocks.${i}.resnets.${j}`, current, width);
      current = width;
    }
    // Downsample2D with padding=0: pad right and bottom by one, then a stride-2 convolution.
    if (i < channels.length - 1) h = conv2d(net, h, `encoder.down_blocks.${i}.downsamplers.0.conv`, current, current, 3, { stride: 2, pads: [0, 0, 1, 1] });
  });
  h = midBlock(net, config, h, 'encoder.mid_block', current);
  h = silu(net, groupNorm(net, h, 'encoder.conv_norm_out', current, config.normGroups, EPS));
  h = conv2d(net, h, 'encoder.conv_out', current, 2 * config.latentChannels, 3);
  if (config.useQuantConv) h = conv2d(net, h, 'quant_conv', 2 * config.latentChannels, 2 * config.latentChannels, 1);
  net.output(h, 'latent_parameters', ['batch', 2 * config.latentChannels, 'latent_height', 'latent_width']);
  return net;
}

export function buildVaeDecoder(config: VaeConfig, options: NetOptions): Net {
  const net = new Net('vae_decoder', options);
  const reversed = [...config.blockOutChannels].reverse();
  const latents = config.latentChannels;
  let h = net.input('latent_sample', ['batch', latents, 'latent_height', 'latent_width']);
  if (config.usePostQuantConv) h = conv2d(net, h, 'post_quant_conv', latents, latents, 1);
  h = conv2d(net, h, 'decoder.conv_in', latents, reversed[0], 3);
  let current = reversed[0];
  h = midBlock(net, config, h, 'decoder.mid_block', current);
  reversed.forEach((width, i) => {
    for (let j = 0; j <= config.layersPerBlock; j++) {
      h = resnet(net, config, h, `decoder.up_blocks.${i}.resnets.${j}`, current, width);
      current = width;
    }
    if (i < reversed.length - 1) h = conv2d(net, upsampleNearest2x(net, h), `decoder.up_blocks.${i}.upsamplers.0.conv`, current, current, 3);
  });
  h = silu(net, groupNorm(net, h, 'decoder.conv_norm_out', current, config.normGroups, EPS));
  h = conv2d(net, h, 'decoder.conv_out', current, config.outChannels, 3);
  net.output(h, 'sample', ['batch', config.outChannels, 'height', 'width']);
  return net;
}
