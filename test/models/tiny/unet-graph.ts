// Tiny oracle UNet with optimum's I/O: returns the exact ε for a known clean latent x0*, so any correct sampler
// converges to x0* (and CFG to x0_u + g·(x0_c − x0_u)) whatever the scheduler, steps or seed.
import { GraphBuilder } from '../../../service/graphs/onnx-graph';
import type { ElemType, EncodedModel, ExternalDataOptions } from '../../../service/graphs/onnx-graph';
import { COLOUR_AMPLITUDE, TIME_IDS_SHIFT, VAE_ENCODER_BIAS, VAE_ENCODER_MATRIX, VAE_SCALING_FACTOR } from './parameters';
import type { TinyParameters } from './parameters';

export interface UnetGraphOptions {
  /** Type of every float input and output (timestep and time_ids included, as an fp16 export has them). */
  floatType: ElemType;
  /** 'scalar' = current optimum (float, rank 0); 'steps' = optimum < 1.24 (int64, shape [steps]). */
  timestep: 'scalar' | 'steps';
  /** 9 = the inpainting UNet; 4 = a plain text-to-image UNet (no mask / masked-image channels). */
  inChannels: 9 | 4;
  externalData?: ExternalDataOptions;
}

/**
 * Graph (mirrored by the oracle's targetRgb / epsilon):
 *   rgb   = A·sin(mean_s(encoder_hidden_states)·U + text_embeds·V) + shift·min(Σ|time_ids − [H,W,0,0,H,W]|, 1)
 *   x0*   = (1−m)·masked_image_latent + m·target,  target = 0.13025·(E·rgb + e)   (E, e: the VAE encoder's map)
 *   σ     = exp(interp of log σ_train at t),   ε = (x_in·sqrt(σ²+1) − x0*)/σ
 * The channels are read through `convInCheck`, which is the identity when the runtime computes convolutions right.
 */
export function buildUnet(p: TinyParameters, options: UnetGraphOptions): EncodedModel {
  const g = new GraphBuilder('tiny_oracle_unet');
  const ft = options.floatType;
  const sample = g.toF32(g.input({ name: 'sample', type: ft, dims: ['batch_size', options.inChannels, 'height', 'width'] }), ft);
  const timestep =
    options.timestep === 'scalar'
      ? g.toF32(g.input({ name: 'timestep', type: ft, dims: [] }), ft)
      : g.op('Cast', [g.input({ name: 'timestep', type: 'int64', dims: ['steps'] })], { to: { i: 1 } });
  const ehs = g.toF32(g.input({ name: 'encoder_hidden_states', type: ft, dims: ['batch_size', 'sequence_length', 2048] }), ft);
  const textEmbeds = g.toF32(g.input({ name: 'text_embeds', type: ft, dims: ['batch_size', 1280] }), ft);
  const timeIds = g.toF32(g.input({ name: 'time_ids', type: ft, dims: ['batch_size', 6] }), ft);

  const checked = convInCheck(g, sample, options.inChannels);
  const channels = (from: number, to: number): string => g.op('Slice', [checked, g.i64([from], [1]), g.i64([to], [1]), g.i64([1], [1])]);
  const xIn = channels(0, 4);

  // 1. Prompt colour from the conditioning.
  const context = g.op('ReduceMean', [ehs], { axes: { ints: [1] }, keepdims: { i: 0 } });
  const angle = g.op('Add', [
    g.op('MatMul', [context, g.f32(p.unet.contextWeights, [2048, 3], 'context_w')]),
    g.op('MatMul', [textEmbeds, g.f32(p.unet.pooledWeights, [1280, 3], 'pooled_w')]),
  ]);
  const promptRgb = g.op('Mul', [g.op('Sin', [angle]), g.f32([COLOUR_AMPLITUDE], [], 'amplitude')]);

  // 2. time_ids check: shift the colour unless time_ids == [H, W, 0, 0, H, W] with H, W = 8 × latent size.
  const hw = g.op('Mul', [g.op('Cast', [g.op('Slice', [g.op('Shape', [sample]), g.i64([2], [1]), g.i64([4], [1])])], { to: { i: 1 } }), g.f32([8], [], 'eight')]);
  const expectedIds = g.op('Concat', [hw, g.f32([0, 0], [2], 'no_crop'), hw], { axis: { i: 0 } });
  const mismatch = g.op('ReduceSum', [g.op('Abs', [g.op('Sub', [timeIds, expectedIds])]), g.i64([1], [1])], { keepdims: { i: 1 } });
  const shift = g.op('Mul', [g.op('Min', [mismatch, g.f32([1], [], 'one')]), g.f32(TIME_IDS_SHIFT, [1, 3], 'time_ids_shift')]);
  const rgb = g.op('Add', [promptRgb, shift]);

  // 3. Target latent (already ×0.13025, like the latents the pipeline feeds), broadcast over the image.
  const toLatent = Float32Array.from({ length: 12 }, (_, k) => VAE_SCALING_FACTOR * VAE_ENCODER_MATRIX[k % 4][Math.floor(k / 4)]);
  const latentBias = VAE_ENCODER_BIAS.map((b) => VAE_SCALING_FACTOR * b);
  const target = g.op('Reshape', [g.op('Add', [g.op('MatMul', [rgb, g.f32(toLatent, [3, 4], 'rgb_to_latent')]), g.f32(latentBias, [4], 'latent_bias')]), g.i64([-1, 4, 1, 1], [4])]);
  let x0 = target;
  if (options.inChannels === 9) {
    const mask = channels(4, 5);
    const maskedImage = channels(5, 9);
    x0 = g.op('Add', [maskedImage, g.op('Mul', [mask, g.op('Sub', [target, maskedImage])])]);
  }

  // 4. σ(t): linear in log σ between integer timesteps (the inverse of diffusers' sigma_to_t), low index ≤ 998.
  const t = g.op('Reshape', [timestep, g.i64([-1, 1, 1, 1], [4])]);
  const low = g.op('Max', [g.op('Min', [g.op('Floor', [t]), g.f32([998], [], 'max_low')]), g.f32([0], [], 'zero')]);
  const lowIndex = g.op('Cast', [low], { to: { i: 7 } });
  const logSigmas = g.f32(p.logSigmas, [1000], 'log_sigmas');
  const logLow = g.op('Gather', [logSigmas, lowIndex]);
  const logHigh = g.op('Gather', [logSigmas, g.op('Add', [lowIndex, g.i64([1], [], 'next')])]);
  const logSigma = g.op('Add', [logLow, g.op('Mul', [g.op('Sub', [t, low]), g.op('Sub', [logHigh, logLow])])]);
  const sigma = g.op('Exp', [logSigma]);
  const scale = g.op('Sqrt', [g.op('Add', [g.op('Mul', [sigma, sigma]), g.f32([1], [], 'one')])]);

  // 5. ε = (x_in·sqrt(σ²+1) − x0*)/σ.
  const eps = g.op('Div', [g.op('Sub', [g.op('Mul', [xIn, scale]), x0]), sigma]);
  g.output(g.fromF32(eps, ft, 'out_sample'), { name: 'out_sample', type: ft, dims: ['batch_size', 4, 'height', 'width'] });
  return g.encode(options.externalData);
}

/** Channels the check's reference Conv pads `sample` to: 12-channel 3×3 Convs are right on WebGPU, 9-channel ones not. */
const PADDED_CHANNELS = 12;
/** conv_in's output channels: a multiple of 32 like SDXL's 320. */
const CONV_IN_OUT = 32;

/**
 * A real SDXL-inpainting-style conv_in: a 3×3 Conv on `sample` with `channels` input channels (fed through a Cast in
 * fp16 graphs, like some exports). Its result minus the same weights applied to `sample` zero-padded to 12 channels,
 * summed over channels, is added to every channel of `sample`: exactly `sample` (to float rounding) when both Convs
 * are right, and visibly off when a provider miscomputes the narrow one (the WebGPU 9-channel bug).
 */
function convInCheck(g: GraphBuilder, sample: string, channels: number): string {
  const weights = Float32Array.from({ length: CONV_IN_OUT * channels * 9 }, (_, i) => 0.2 * Math.sin(i * 0.731 + 0.3));
  const padded = new Float32Array(CONV_IN_OUT * PADDED_CHANNELS * 9);
  for (let o = 0; o < CONV_IN_OUT; o++) padded.set(weights.subarray(o * channels * 9, (o + 1) * channels * 9), o * PADDED_CHANNELS * 9);
  const attrs = { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } };
  const convIn = g.op('Conv', [sample, g.f32(weights, [CONV_IN_OUT, channels, 3, 3], 'conv_in_w')], attrs, '/conv_in/Conv_output_0');
  const widened = g.op('Pad', [sample, g.i64([0, 0, 0, 0, 0, PADDED_CHANNELS - channels, 0, 0], [8])]);
  const reference = g.op('Conv', [widened, g.f32(padded, [CONV_IN_OUT, PADDED_CHANNELS, 3, 3], 'conv_ref_w')], attrs);
  const error = g.op('ReduceSum', [g.op('Sub', [convIn, reference]), g.i64([1], [1])], { keepdims: { i: 1 } });
  return g.op('Add', [sample, error]);
}
