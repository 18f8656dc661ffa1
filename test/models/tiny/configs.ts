// The JSON files of an optimum SDXL-inpainting export (spec §1, §8.2), with the real model's values. The tiny graphs
// do not match the architecture numbers (layers, block channels); a loader reads these files, not the graphs.

type Json = Record<string, unknown>;
type TorchDtype = 'float32' | 'float16';

const DIFFUSERS_VERSION = '0.31.0';
const TRANSFORMERS_VERSION = '4.46.0';

export function modelIndexConfig(): Json {
  return {
    _class_name: 'StableDiffusionXLInpaintPipeline',
    _diffusers_version: DIFFUSERS_VERSION,
    feature_extractor: [null, null],
    force_zeros_for_empty_prompt: true,
    image_encoder: [null, null],
    requires_aesthetics_score: false,
    scheduler: ['diffusers', 'EulerDiscreteScheduler'],
    text_encoder: ['transformers', 'CLIPTextModel'],
    text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    tokenizer_2: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'UNet2DConditionModel'],
    vae: ['diffusers', 'AutoencoderKL'],
  };
}

/** SDXL EulerDiscreteScheduler config as current diffusers saves it: the §1.2 values plus class defaults, sorted keys. */
export function schedulerConfig(): Json {
  return {
    _class_name: 'EulerDiscreteScheduler',
    _diffusers_version: DIFFUSERS_VERSION,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    clip_sample: false,
    final_sigmas_type: 'zero',
    interpolation_type: 'linear',
    num_train_timesteps: 1000,
    prediction_type: 'epsilon',
    rescale_betas_zero_snr: false,
    sample_max_value: 1.0,
    set_alpha_to_one: false,
    sigma_max: null,
    sigma_min: null,
    skip_prk_steps: true,
    steps_offset: 1,
    timestep_spacing: 'leading',
    timestep_type: 'discrete',
    trained_betas: null,
    use_beta_sigmas: false,
    use_exponential_sigmas: false,
    use_karras_sigmas: false,
  };
}

export function unetConfig(inChannels: 9 | 4): Json {
  return {
    _class_name: 'UNet2DConditionModel',
    _diffusers_version: DIFFUSERS_VERSION,
    _name_or_path: 'valhalla/sdxl-inpaint-ema',
    act_fn: 'silu',
    addition_embed_type: 'text_time',
    addition_embed_type_num_heads: 64,
    addition_time_embed_dim: 256,
    attention_head_dim: [5, 10, 20],
    attention_type: 'default',
    block_out_channels: [320, 640, 1280],
    center_input_sample: false,
    class_embed_type: null,
    class_embeddings_concat: false,
    conv_in_kernel: 3,
    conv_out_kernel: 3,
    cross_attention_dim: 2048,
    cross_attention_norm: null,
    down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
    downsample_padding: 1,
    dropout: 0.0,
    dual_cross_attention: false,
    encoder_hid_dim: null,
    encoder_hid_dim_type: null,
    flip_sin_to_cos: true,
    freq_shift: 0,
    in_channels: inChannels,
    layers_per_block: 2,
    mid_block_only_cross_attention: null,
    mid_block_scale_factor: 1,
    mid_block_type: 'UNetMidBlock2DCrossAttn',
    norm_eps: 1e-5,
    norm_num_groups: 32,
    num_attention_heads: null,
    num_class_embeds: null,
    only_cross_attention: false,
    out_channels: 4,
    projection_class_embeddings_input_dim: 2816,
    resnet_out_scale_factor: 1.0,
    resnet_skip_time_act: false,
    resnet_time_scale_shift: 'default',
    reverse_transformer_layers_per_block: null,
    sample_size: 128,
    time_cond_proj_dim: null,
    time_embedding_act_fn: null,
    time_embedding_dim: null,
    time_embedding_type: 'positional',
    timestep_post_act: null,
    transformer_layers_per_block: [1, 2, 10],
    up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
    upcast_attention: null,
    use_linear_projection: true,
  };
}

/** The full AutoencoderKL config; optimum writes it into both vae_encoder/ and vae_decoder/. */
export function vaeConfig(): Json {
  return {
    _class_name: 'AutoencoderKL',
    _diffusers_version: DIFFUSERS_VERSION,
    act_fn: 'silu',
    block_out_channels: [128, 256, 512, 512],
    down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D'],
    force_upcast: false,
    in_channels: 3,
    latent_channels: 4,
    latents_mean: null,
    latents_std: null,
    layers_per_block: 2,
    mid_block_add_attention: true,
    norm_num_groups: 32,
    out_channels: 3,
    sample_size: 512,
    scaling_factor: 0.13025,
    shift_factor: null,
    up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D'],
    use_post_quant_conv: true,
    use_quant_conv: true,
  };
}

function clipTextConfig(dtype: TorchDtype, withProjection: boolean): Json {
  const big = withProjection;
  return {
    architectures: [big ? 'CLIPTextModelWithProjection' : 'CLIPTextModel'],
    attention_dropout: 0.0,
    bos_token_id: 0,
    dropout: 0.0,
    eos_token_id: 2,
    hidden_act: big ? 'gelu' : 'quick_gelu',
    hidden_size: big ? 1280 : 768,
    initializer_factor: 1.0,
    initializer_range: 0.02,
    intermediate_size: big ? 5120 : 3072,
    layer_norm_eps: 1e-5,
    max_position_embeddings: 77,
    model_type: 'clip_text_model',
    num_attention_heads: big ? 20 : 12,
    num_hidden_layers: big ? 32 : 12,
    // optimum switches this on for SDXL exports so the graphs carry hidden_states.* (spec §8.3).
    output_hidden_states: true,
    pad_token_id: 1,
    projection_dim: big ? 1280 : 768,
    torch_dtype: dtype,
    transformers_version: TRANSFORMERS_VERSION,
    vocab_size: 49408,
  };
}

export const textEncoderConfig = (dtype: TorchDtype): Json => clipTextConfig(dtype, false);
export const textEncoder2Config = (dtype: TorchDtype): Json => clipTextConfig(dtype, true);

function addedToken(content: string): Json {
  return { content, lstrip: false, normalized: true, rstrip: false, single_word: false };
}

/** special_tokens_map.json of a CLIP tokenizer; `pad` is "<|endoftext|>" for tokenizer/ and "!" for tokenizer_2/. */
export function specialTokensMap(pad: string): Json {
  return {
    bos_token: addedToken('<|startoftext|>'),
    eos_token: addedToken('<|endoftext|>'),
    pad_token: pad === '<|endoftext|>' ? pad : addedToken(pad),
    unk_token: addedToken('<|endoftext|>'),
  };
}

export function tokenizerConfig(pad: string): Json {
  const token = (content: string): Json => ({ __type: 'AddedToken', ...addedToken(content) });
  return {
    add_prefix_space: false,
    bos_token: token('<|startoftext|>'),
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    eos_token: token('<|endoftext|>'),
    errors: 'replace',
    model_max_length: 77,
    pad_token: pad === '<|endoftext|>' ? pad : token(pad),
    tokenizer_class: 'CLIPTokenizer',
    unk_token: token('<|endoftext|>'),
  };
}
