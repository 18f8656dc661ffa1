/**
 * The parts of diffusers' / transformers' config.json files the graph builders read, checked: a config asking for a
 * feature the builders do not implement is refused by name rather than built wrong.
 */
import { ModelSourceError } from '../models/errors';

type Json = Record<string, unknown>;

export interface UnetConfig {
  inChannels: number;
  outChannels: number;
  blockOutChannels: number[];
  downBlockTypes: string[];
  upBlockTypes: string[];
  layersPerBlock: number;
  /** Heads per down block (diffusers' `attention_head_dim` is the head COUNT for SD UNets). */
  heads: number[];
  transformerLayers: number[];
  crossAttentionDim: number;
  normGroups: number;
  normEps: number;
  flipSinToCos: boolean;
  freqShift: number;
  additionTimeEmbedDim: number;
  projectionClassEmbeddingsInputDim: number;
  sampleSize: number;
}

export interface VaeConfig {
  inChannels: number;
  outChannels: number;
  latentChannels: number;
  blockOutChannels: number[];
  layersPerBlock: number;
  normGroups: number;
  useQuantConv: boolean;
  usePostQuantConv: boolean;
  midBlockAttention: boolean;
}

export interface ClipTextConfig {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  layers: number;
  heads: number;
  maxPositions: number;
  activation: 'quick_gelu' | 'gelu';
  layerNormEps: number;
  eosTokenId: number;
  /** CLIPTextModelWithProjection only. */
  projectionDim: number | null;
}

class Reader {
  constructor(
    private readonly json: Json,
    private readonly label: string,
  ) {}

  problem(key: string, what: string): never {
    throw new ModelSourceError(`${this.label}: "${key}" ${what}`);
  }

  number(key: string, fallback?: number): number {
    const value = this.json[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) this.problem(key, `should be a number, found ${JSON.stringify(value)}`);
    return value;
  }

  int(key: string, fallback?: number): number {
    const value = this.number(key, fallback);
    if (!Number.isInteger(value) || value < 0) this.problem(key, `should be a non-negative integer, found ${value}`);
    return value;
  }

  bool(key: string, fallback: boolean): boolean {
    const value = this.json[key] ?? fallback;
    if (typeof value !== 'boolean') this.problem(key, `should be true or false, found ${JSON.stringify(value)}`);
    return value;
  }

  string(key: string, fallback?: string): string {
    const value = this.json[key] ?? fallback;
    if (typeof value !== 'string') this.problem(key, `should be a string, found ${JSON.stringify(value)}`);
    return value;
  }

  ints(key: string): number[] {
    const value = this.json[key];
    if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v) && v > 0)) this.problem(key, `should be a list of positive integers, found ${JSON.stringify(value)}`);
    return value as number[];
  }

  strings(key: string): string[] {
    const value = this.json[key];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) this.problem(key, `should be a list of names, found ${JSON.stringify(value)}`);
    return value as string[];
  }

  /** An int or a per-block list. */
  perBlock(key: string, blocks: number, fallback?: number): number[] {
    const value = this.json[key] ?? fallback;
    if (typeof value === 'number') return new Array(blocks).fill(value);
    const list = this.ints(key);
    if (list.length !== blocks) this.problem(key, `has ${list.length} entries for ${blocks} blocks`);
    return list;
  }

  /** Refuses a key whose value is not the one the builder implements. */
  expect(key: string, allowed: readonly unknown[]): void {
    const value = this.json[key] ?? null;
    if (!allowed.includes(value)) this.problem(key, `is ${JSON.stringify(value)}; genfill builds SDXL's ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`);
  }
}

export function parseUnetConfig(json: Json, label = 'unet/config.json'): UnetConfig {
  const r = new Reader(json, label);
  const blockOutChannels = r.ints('block_out_channels');
  const blocks = blockOutChannels.length;
  const downBlockTypes = r.strings('down_block_types');
  const upBlockTypes = r.strings('up_block_types');
  if (downBlockTypes.length !== blocks || upBlockTypes.length !== blocks) r.problem('down_block_types', `and up_block_types need ${blocks} entries (one per block_out_channels)`);
  for (const type of downBlockTypes) if (type !== 'DownBlock2D' && type !== 'CrossAttnDownBlock2D') r.problem('down_block_types', `contains ${type}`);
  for (const type of upBlockTypes) if (type !== 'UpBlock2D' && type !== 'CrossAttnUpBlock2D') r.problem('up_block_types', `contains ${type}`);
  r.expect('mid_block_type', ['UNetMidBlock2DCrossAttn']);
  r.expect('addition_embed_type', ['text_time']);
  r.expect('time_embedding_type', ['positional', null]);
  r.expect('act_fn', ['silu', null]);
  r.expect('resnet_time_scale_shift', ['default', null]);
  r.expect('use_linear_projection', [true]);
  r.expect('class_embed_type', [null]);
  r.expect('encoder_hid_dim_type', [null]);
  r.expect('cross_attention_norm', [null]);
  r.expect('upcast_attention', [false, null]);
  r.expect('only_cross_attention', [false, null]);
  r.expect('dual_cross_attention', [false, null]);
  r.expect('center_input_sample', [false, null]);
  r.expect('time_cond_proj_dim', [null]);
  r.expect('conv_in_kernel', [3, null]);
  r.expect('conv_out_kernel', [3, null]);
  r.expect('attention_type', ['default', null]);
  if ((json.resnet_out_scale_factor ?? 1) !== 1 || (json.mid_block_scale_factor ?? 1) !== 1) r.problem('resnet_out_scale_factor', 'and mid_block_scale_factor must be 1');
  // diffusers: num_attention_heads defaults to attention_head_dim, which SD-family configs use as the head count.
  const heads = json.num_attention_heads !== null && json.num_attention_heads !== undefined ? r.perBlock('num_attention_heads', blocks) : r.perBlock('attention_head_dim', blocks);
  return {
    inChannels: r.int('in_channels'),
    outChannels: r.int('out_channels'),
    blockOutChannels,
    downBlockTypes,
    upBlockTypes,
    layersPerBlock: r.int('layers_per_block'),
    heads,
    transformerLayers: r.perBlock('transformer_layers_per_block', blocks, 1),
    crossAttentionDim: r.int('cross_attention_dim'),
    normGroups: r.int('norm_num_groups', 32),
    normEps: r.number('norm_eps', 1e-5),
    flipSinToCos: r.bool('flip_sin_to_cos', true),
    freqShift: r.number('freq_shift', 0),
    additionTimeEmbedDim: r.int('addition_time_embed_dim'),
    projectionClassEmbeddingsInputDim: r.int('projection_class_embeddings_input_dim'),
    sampleSize: r.int('sample_size', 128),
  };
}

export function parseVaeConfig(json: Json, label = 'vae/config.json'): VaeConfig {
  const r = new Reader(json, label);
  const blockOutChannels = r.ints('block_out_channels');
  for (const type of r.strings('down_block_types')) if (type !== 'DownEncoderBlock2D') r.problem('down_block_types', `contains ${type}`);
  for (const type of r.strings('up_block_types')) if (type !== 'UpDecoderBlock2D') r.problem('up_block_types', `contains ${type}`);
  r.expect('act_fn', ['silu', null]);
  return {
    inChannels: r.int('in_channels', 3),
    outChannels: r.int('out_channels', 3),
    latentChannels: r.int('latent_channels', 4),
    blockOutChannels,
    layersPerBlock: r.int('layers_per_block', 1),
    normGroups: r.int('norm_num_groups', 32),
    useQuantConv: r.bool('use_quant_conv', true),
    usePostQuantConv: r.bool('use_post_quant_conv', true),
    midBlockAttention: r.bool('mid_block_add_attention', true),
  };
}

/** `withProjection`: CLIPTextModelWithProjection (SDXL's text_encoder_2), whose text_embeds the pipeline pools. */
export function parseClipTextConfig(json: Json, label: string, withProjection: boolean): ClipTextConfig {
  const r = new Reader(json, label);
  const activation = r.string('hidden_act', 'quick_gelu');
  if (activation !== 'quick_gelu' && activation !== 'gelu') r.problem('hidden_act', `is ${activation}; CLIP text encoders use quick_gelu or gelu`);
  return {
    vocabSize: r.int('vocab_size'),
    hiddenSize: r.int('hidden_size'),
    intermediateSize: r.int('intermediate_size'),
    layers: r.int('num_hidden_layers'),
    heads: r.int('num_attention_heads'),
    maxPositions: r.int('max_position_embeddings', 77),
    activation: activation as ClipTextConfig['activation'],
    layerNormEps: r.number('layer_norm_eps', 1e-5),
    eosTokenId: r.int('eos_token_id', 2),
    projectionDim: withProjection ? r.int('projection_dim') : null,
  };
}
