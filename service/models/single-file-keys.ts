/**
 * Diffusers names → the original SDXL single-file keys (Stability's `sgm` layout, what model sites distribute): the
 * inverse of diffusers' scripts/convert_diffusers_to_original_sdxl.py, written as a function of the config.
 *   unet           model.diffusion_model.{input_blocks, middle_block, output_blocks, time_embed, label_emb, out}
 *   vae            first_stage_model.{encoder, decoder}.{down, mid, up}; attention q/k/v/proj_out as 1×1 convs
 *   text_encoder   conditioner.embedders.0.transformer.[text_model.]…  (transformers names)
 *   text_encoder_2 conditioner.embedders.1.model.…  (OpenCLIP: fused in_proj, ln_1/ln_2, c_fc/c_proj, text_projection as x·P)
 */
import type { UnetConfig, VaeConfig } from '../graphs/configs';

export interface SingleFileKey {
  key: string;
  /** Rows `index` of `of` equal parts of a fused tensor (OpenCLIP's in_proj_weight / in_proj_bias: q, k, v). */
  part?: { index: number; of: number };
  /** Stored as [in, out] (used as x·P) instead of a linear layer's [out, in]. */
  transposed?: boolean;
  /** Stored as a 1×1 convolution kernel [C, C, 1, 1]. */
  conv1x1?: boolean;
}

export const UNET_PREFIX = 'model.diffusion_model.';
const VAE_PREFIX = 'first_stage_model.';
const TEXT_ENCODER_PREFIX = 'conditioner.embedders.0.transformer.';
export const TEXT_ENCODER_2_PREFIX = 'conditioner.embedders.1.model.';

const RESNET_PARTS: Record<string, string> = {
  norm1: 'in_layers.0',
  conv1: 'in_layers.2',
  time_emb_proj: 'emb_layers.1',
  norm2: 'out_layers.0',
  conv2: 'out_layers.3',
  conv_shortcut: 'skip_connection',
};

function resnetPart(rest: string): string {
  const [part, ...tail] = rest.split('.');
  const mapped = RESNET_PARTS[part];
  return mapped ? [mapped, ...tail].join('.') : rest;
}

const WHOLE_UNET: Record<string, string> = {
  'conv_in.': 'input_blocks.0.0.',
  'time_embedding.linear_1.': 'time_embed.0.',
  'time_embedding.linear_2.': 'time_embed.2.',
  'add_embedding.linear_1.': 'label_emb.0.0.',
  'add_embedding.linear_2.': 'label_emb.0.2.',
  'conv_norm_out.': 'out.0.',
  'conv_out.': 'out.2.',
};

export function unetKey(name: string, config: UnetConfig): string {
  for (const [from, to] of Object.entries(WHOLE_UNET)) if (name.startsWith(from)) return UNET_PREFIX + to + name.slice(from.length);
  const perBlock = config.layersPerBlock + 1;
  let m = /^down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.*)$/.exec(name);
  if (m) {
    const index = perBlock * Number(m[1]) + Number(m[3]) + 1;
    return m[2] === 'resnets' ? `${UNET_PREFIX}input_blocks.${index}.0.${resnetPart(m[4])}` : `${UNET_PREFIX}input_blocks.${index}.1.${m[4]}`;
  }
  m = /^down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.*)$/.exec(name);
  if (m) return `${UNET_PREFIX}input_blocks.${perBlock * (Number(m[1]) + 1)}.0.op.${m[2]}`;
  m = /^up_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.*)$/.exec(name);
  if (m) {
    const index = perBlock * Number(m[1]) + Number(m[3]);
    return m[2] === 'resnets' ? `${UNET_PREFIX}output_blocks.${index}.0.${resnetPart(m[4])}` : `${UNET_PREFIX}output_blocks.${index}.1.${m[4]}`;
  }
  m = /^up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.*)$/.exec(name);
  if (m) {
    const block = Number(m[1]);
    const slot = config.upBlockTypes[block] === 'CrossAttnUpBlock2D' ? 2 : 1;
    return `${UNET_PREFIX}output_blocks.${perBlock * block + perBlock - 1}.${slot}.conv.${m[2]}`;
  }
  m = /^mid_block\.(resnets|attentions)\.(\d+)\.(.*)$/.exec(name);
  if (m) {
    return m[1] === 'resnets' ? `${UNET_PREFIX}middle_block.${2 * Number(m[2])}.${resnetPart(m[3])}` : `${UNET_PREFIX}middle_block.1.${m[3]}`;
  }
  return UNET_PREFIX + name;
}

const VAE_ATTENTION: Record<string, string> = { group_norm: 'norm', to_q: 'q', to_k: 'k', to_v: 'v', 'to_out.0': 'proj_out' };

export function vaeKey(name: string, config: VaeConfig): SingleFileKey {
  const blocks = config.blockOutChannels.length;
  const plain = (key: string): SingleFileKey => ({ key: VAE_PREFIX + key });
  let m = /^(encoder|decoder)\.mid_block\.attentions\.0\.(group_norm|to_q|to_k|to_v|to_out\.0)\.(weight|bias)$/.exec(name);
  if (m) {
    const key = `${VAE_PREFIX}${m[1]}.mid.attn_1.${VAE_ATTENTION[m[2]]}.${m[3]}`;
    return m[2] === 'group_norm' || m[3] === 'bias' ? { key } : { key, conv1x1: true };
  }
  m = /^(encoder|decoder)\.mid_block\.resnets\.(\d+)\.(.*)$/.exec(name);
  if (m) return plain(`${m[1]}.mid.block_${Number(m[2]) + 1}.${m[3].replace('conv_shortcut', 'nin_shortcut')}`);
  m = /^encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.(.*)$/.exec(name);
  if (m) return plain(`encoder.down.${m[1]}.block.${m[2]}.${m[3].replace('conv_shortcut', 'nin_shortcut')}`);
  m = /^encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.*)$/.exec(name);
  if (m) return plain(`encoder.down.${m[1]}.downsample.conv.${m[2]}`);
  // The original decoder numbers its up blocks from the lowest resolution's opposite end.
  m = /^decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.*)$/.exec(name);
  if (m) return plain(`decoder.up.${blocks - 1 - Number(m[1])}.block.${m[2]}.${m[3].replace('conv_shortcut', 'nin_shortcut')}`);
  m = /^decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.*)$/.exec(name);
  if (m) return plain(`decoder.up.${blocks - 1 - Number(m[1])}.upsample.conv.${m[2]}`);
  m = /^(encoder|decoder)\.conv_norm_out\.(.*)$/.exec(name);
  if (m) return plain(`${m[1]}.norm_out.${m[2]}`);
  return plain(name);
}

/** CLIP-L: transformers names under the embedder, with or without `text_model.` (both exist in the wild). */
export function textEncoderKeys(name: string): SingleFileKey[] {
  const bare = name.startsWith('text_model.') ? name.slice('text_model.'.length) : name;
  return [{ key: `${TEXT_ENCODER_PREFIX}text_model.${bare}` }, { key: TEXT_ENCODER_PREFIX + bare }];
}

const OPEN_CLIP_LAYER: Record<string, string> = {
  'self_attn.out_proj': 'attn.out_proj',
  layer_norm1: 'ln_1',
  layer_norm2: 'ln_2',
  'mlp.fc1': 'mlp.c_fc',
  'mlp.fc2': 'mlp.c_proj',
};
const QKV = ['q_proj', 'k_proj', 'v_proj'];

/** OpenCLIP ViT-bigG text tower. */
export function textEncoder2Keys(name: string): SingleFileKey[] {
  const p = TEXT_ENCODER_2_PREFIX;
  const bare = name.startsWith('text_model.') ? name.slice('text_model.'.length) : name;
  if (bare === 'embeddings.token_embedding.weight') return [{ key: `${p}token_embedding.weight` }];
  if (bare === 'embeddings.position_embedding.weight') return [{ key: `${p}positional_embedding` }];
  if (bare.startsWith('final_layer_norm.')) return [{ key: `${p}ln_final.${bare.slice('final_layer_norm.'.length)}` }];
  // `text_projection` is a parameter used as x·P; diffusers' reverse script writes it as `text_projection.weight` [out, in].
  if (bare === 'text_projection.weight') return [{ key: `${p}text_projection`, transposed: true }, { key: `${p}text_projection.weight` }];
  const m = /^encoder\.layers\.(\d+)\.(.*)\.(weight|bias)$/.exec(bare);
  if (m) {
    const block = `${p}transformer.resblocks.${m[1]}`;
    const qkv = QKV.findIndex((q) => m[2] === `self_attn.${q}`);
    if (qkv >= 0) return [{ key: `${block}.attn.in_proj_${m[3]}`, part: { index: qkv, of: 3 } }];
    const mapped = OPEN_CLIP_LAYER[m[2]];
    if (mapped) return [{ key: `${block}.${mapped}.${m[3]}` }];
  }
  return [{ key: p + bare }];
}
