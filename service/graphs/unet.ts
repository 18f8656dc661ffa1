/**
 * diffusers' UNet2DConditionModel in SDXL's layout, with optimum's I/O: sample [B, 9, h, w], timestep (rank 0),
 * encoder_hidden_states, text_embeds, time_ids → out_sample. Names of weights follow diffusers' state dict.
 */
import type { UnetConfig } from './configs';
import { attention, conv2d, gelu, groupNorm, layerNorm, leadingShape, linear, Net, silu, toTokens, fromTokens, upsampleNearest2x } from './layers';
import type { NetOptions } from './layers';

/** SDXL's add_time_ids: original size, crop top-left, target size. */
const TIME_IDS = 6;
/** diffusers' Transformer2DModel group norm epsilon. */
const TRANSFORMER_NORM_EPS = 1e-6;
const LAYER_NORM_EPS = 1e-5;

/**
 * diffusers' Timesteps (get_timestep_embedding), computed in float32 whatever the graph's precision, as diffusers
 * does: freqs = exp(−ln(10000)·i/(half − shift)); [sin(t·f), cos(t·f)], swapped to [cos, sin] when flip_sin_to_cos.
 */
function timestepEmbedding(net: Net, t: string, dim: number, flipSinToCos: boolean, shift: number): string {
  const half = dim / 2;
  const freqs = Float32Array.from({ length: half }, (_, i) => Math.exp(Math.fround(Math.fround(-Math.log(10000) * i) / (half - shift))));
  const args = net.op('Mul', [t, net.g.f32(freqs, [1, half], 'timestep_freqs')]);
  const sin = net.op('Sin', [args]);
  const cos = net.op('Cos', [args]);
  const embedding = net.op('Concat', flipSinToCos ? [cos, sin] : [sin, cos], { axis: { i: -1 } });
  return net.g.fromF32(embedding, net.compute);
}

interface Context {
  net: Net;
  config: UnetConfig;
  /** silu(emb): what every resnet's time_emb_proj reads. */
  embActivated: string;
  tembDim: number;
  encoderHiddenStates: string;
  encoderLeading: string;
}

function resnet(c: Context, x: string, prefix: string, inChannels: number, outChannels: number): string {
  const { net, config } = c;
  let h = silu(net, groupNorm(net, x, `${prefix}.norm1`, inChannels, config.normGroups, config.normEps));
  h = conv2d(net, h, `${prefix}.conv1`, inChannels, outChannels, 3);
  const temb = linear(net, c.embActivated, `${prefix}.time_emb_proj`, c.tembDim, outChannels, { rank: 2 });
  h = net.op('Add', [h, net.op('Unsqueeze', [temb, net.ints([2, 3])])]);
  h = silu(net, groupNorm(net, h, `${prefix}.norm2`, outChannels, config.normGroups, config.normEps));
  h = conv2d(net, h, `${prefix}.conv2`, outChannels, outChannels, 3);
  const shortcut = inChannels === outChannels ? x : conv2d(net, x, `${prefix}.conv_shortcut`, inChannels, outChannels, 1);
  return net.op('Add', [shortcut, h]);
}

function transformerBlock(c: Context, x: string, leading: string, prefix: string, channels: number, heads: number): string {
  const { net } = c;
  const headDim = channels / heads;
  const lin = (v: string, name: string, inF: number, outF: number, bias: boolean, lead = leading): string =>
    linear(net, v, `${prefix}.${name}`, inF, outF, { bias, leading: lead });

  let n = layerNorm(net, x, `${prefix}.norm1`, channels, LAYER_NORM_EPS);
  let a = attention(net, lin(n, 'attn1.to_q', channels, channels, false), lin(n, 'attn1.to_k', channels, channels, false), lin(n, 'attn1.to_v', channels, channels, false), heads, headDim);
  let h = net.op('Add', [x, lin(a, 'attn1.to_out.0', channels, channels, true)]);

  n = layerNorm(net, h, `${prefix}.norm2`, channels, LAYER_NORM_EPS);
  const ehs = c.encoderHiddenStates;
  const crossDim = c.config.crossAttentionDim;
  a = attention(
    net,
    lin(n, 'attn2.to_q', channels, channels, false),
    lin(ehs, 'attn2.to_k', crossDim, channels, false, c.encoderLeading),
    lin(ehs, 'attn2.to_v', crossDim, channels, false, c.encoderLeading),
    heads,
    headDim,
  );
  h = net.op('Add', [h, lin(a, 'attn2.to_out.0', channels, channels, true)]);

  // GEGLU: one projection to 2·inner, split into value and gate, value·gelu(gate).
  n = layerNorm(net, h, `${prefix}.norm3`, channels, LAYER_NORM_EPS);
  const inner = 4 * channels;
  const [value, gate] = net.g.opMulti('Split', [lin(n, 'ff.net.0.proj', channels, 2 * inner, true), net.ints([inner, inner])], 2, { axis: { i: -1 } });
  const ff = lin(net.op('Mul', [value, gelu(net, gate)]), 'ff.net.2', inner, channels, true);
  return net.op('Add', [h, ff]);
}

/** Transformer2DModel with use_linear_projection: norm, proj_in, blocks, proj_out, residual. */
function transformer(c: Context, x: string, prefix: string, channels: number, heads: number, depth: number): string {
  const { net, config } = c;
  const normed = groupNorm(net, x, `${prefix}.norm`, channels, config.normGroups, TRANSFORMER_NORM_EPS);
  const tokens = toTokens(net, normed);
  const leading = leadingShape(net, tokens, 3);
  let h = linear(net, tokens, `${prefix}.proj_in`, channels, channels, { leading });
  for (let d = 0; d < depth; d++) h = transformerBlock(c, h, leading, `${prefix}.transformer_blocks.${d}`, channels, heads);
  h = linear(net, h, `${prefix}.proj_out`, channels, channels, { leading });
  return net.op('Add', [fromTokens(net, h, x), x]);
}

export interface UnetBuildOptions extends NetOptions {
  /** Symbolic or fixed batch size (the golden export uses "batch"). */
  batch?: string | number;
}

export function buildUnet(config: UnetConfig, options: UnetBuildOptions): Net {
  const net = new Net('unet', options);
  const batch = options.batch ?? 'batch';
  const { blockOutChannels: channels, layersPerBlock: layers } = config;
  const blocks = channels.length;
  const textEmbedDim = config.projectionClassEmbeddingsInputDim - TIME_IDS * config.additionTimeEmbedDim;

  const sample = net.input('sample', [batch, config.inChannels, 'height', 'width']);
  const timestep = net.input('timestep', []);
  const encoderHiddenStates = net.input('encoder_hidden_states', [batch, 'sequence', config.crossAttentionDim]);
  const textEmbeds = net.input('text_embeds', [batch, textEmbedDim]);
  const timeIds = net.input('time_ids', [batch, TIME_IDS]);

  // 1. Time embedding (one timestep for the whole batch, broadcast) + SDXL's text_time embedding.
  const tembDim = 4 * channels[0];
  const t = net.op('Reshape', [net.g.toF32(timestep, net.compute), net.ints([1, 1])]);
  let temb = timestepEmbedding(net, t, channels[0], config.flipSinToCos, config.freqShift);
  temb = linear(net, temb, 'time_embedding.linear_1', channels[0], tembDim, { rank: 2 });
  temb = linear(net, silu(net, temb), 'time_embedding.linear_2', tembDim, tembDim, { rank: 2 });
  const ids = net.op('Reshape', [net.g.toF32(timeIds, net.compute), net.ints([-1, 1])]);
  const idsEmbedding = net.op('Reshape', [timestepEmbedding(net, ids, config.additionTimeEmbedDim, config.flipSinToCos, config.freqShift), net.ints([-1, TIME_IDS * config.additionTimeEmbedDim])]);
  let aug = net.op('Concat', [textEmbeds, idsEmbedding], { axis: { i: -1 } });
  aug = linear(net, aug, 'add_embedding.linear_1', config.projectionClassEmbeddingsInputDim, tembDim, { rank: 2 });
  aug = linear(net, silu(net, aug), 'add_embedding.linear_2', tembDim, tembDim, { rank: 2 });
  const c: Context = {
    net,
    config,
    embActivated: silu(net, net.op('Add', [temb, aug])),
    tembDim,
    encoderHiddenStates,
    encoderLeading: leadingShape(net, encoderHiddenStates, 3),
  };

  // 2. Down: every resnet/attention output and downsampler output is kept for the skip connections.
  let h = conv2d(net, sample, 'conv_in', config.inChannels, channels[0], 3);
  const skips: { value: string; channels: number }[] = [{ value: h, channels: channels[0] }];
  let current = channels[0];
  for (let i = 0; i < blocks; i++) {
    const cross = config.downBlockTypes[i] === 'CrossAttnDownBlock2D';
    for (let j = 0; j < layers; j++) {
      h = resnet(c, h, `down_blocks.${i}.resnets.${j}`, current, channels[i]);
      current = channels[i];
      if (cross) h = transformer(c, h, `down_blocks.${i}.attentions.${j}`, current, config.heads[i], config.transformerLayers[i]);
      skips.push({ value: h, channels: current });
    }
    if (i < blocks - 1) {
      h = conv2d(net, h, `down_blocks.${i}.downsamplers.0.conv`, current, current, 3, { stride: 2 });
      skips.push({ value: h, channels: current });
    }
  }

  // 3. Mid: resnet, transformer, resnet.
  const last = blocks - 1;
  h = resnet(c, h, 'mid_block.resnets.0', current, current);
  h = transformer(c, h, 'mid_block.attentions.0', current, config.heads[last], config.transformerLayers[last]);
  h = resnet(c, h, 'mid_block.resnets.1', current, current);

  // 4. Up: reversed widths, one more resnet per block, each fed the concatenated skip.
  for (let i = 0; i < blocks; i++) {
    const r = last - i;
    const cross = config.upBlockTypes[i] === 'CrossAttnUpBlock2D';
    for (let j = 0; j <= layers; j++) {
      const skip = skips.pop();
      if (!skip) throw new Error('unet: skip connections exhausted (inconsistent block layout)');
      h = net.op('Concat', [h, skip.value], { axis: { i: 1 } });
      h = resnet(c, h, `up_blocks.${i}.resnets.${j}`, current + skip.channels, channels[r]);
      current = channels[r];
      if (cross) h = transformer(c, h, `up_blocks.${i}.attentions.${j}`, current, config.heads[r], config.transformerLayers[r]);
    }
    if (i < last) h = conv2d(net, upsampleNearest2x(net, h), `up_blocks.${i}.upsamplers.0.conv`, current, current, 3);
  }

  // 5. Out.
  h = silu(net, groupNorm(net, h, 'conv_norm_out', current, config.normGroups, config.normEps));
  h = conv2d(net, h, 'conv_out', current, config.outChannels, 3);
  net.output(h, 'out_sample', [batch, config.outChannels, 'height', 'width']);
  return net;
}
