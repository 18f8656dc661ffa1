// Tiny invertible VAE with optimum's I/O: 8×8 block average ↔ a fixed affine colour/latent map.
import { GraphBuilder } from '../../../service/graphs/onnx-graph';
import type { ElemType, EncodedModel } from '../../../service/graphs/onnx-graph';
import { VAE_ENCODER_BIAS, VAE_ENCODER_MATRIX, VAE_LOGVAR } from './parameters';
import type { TinyParameters } from './parameters';

export interface VaeEncoderGraphOptions {
  floatType: ElemType;
  /** 'parameters' = current optimum (`latent_parameters` [B,8,h,w] = mean | logvar); 'sample' = optimum < 1.23 (`latent_sample` [B,4,h,w]). */
  output: 'parameters' | 'sample';
}

/** Encoder: latent mean = E·avg8x8(image) + e (unscaled: the pipeline multiplies by 0.13025); logvar = −12. */
export function buildVaeEncoder(options: VaeEncoderGraphOptions): EncodedModel {
  const g = new GraphBuilder('tiny_vae_encoder');
  const ft = options.floatType;
  const image = g.toF32(g.input({ name: 'sample', type: ft, dims: ['batch_size', 3, 'height', 'width'] }), ft);
  const blocks = g.op('AveragePool', [image], { kernel_shape: { ints: [8, 8] }, strides: { ints: [8, 8] } });
  const withLogvar = options.output === 'parameters';
  // One 1×1 conv does both halves: the mean rows are E, the logvar rows have zero weights and bias −12.
  const weights = [...VAE_ENCODER_MATRIX.flat(), ...(withLogvar ? new Array<number>(12).fill(0) : [])];
  const bias = [...VAE_ENCODER_BIAS, ...(withLogvar ? new Array<number>(4).fill(VAE_LOGVAR) : [])];
  const channels = withLogvar ? 8 : 4;
  const latent = g.op('Conv', [blocks, g.f32(weights, [channels, 3, 1, 1], 'encoder_w'), g.f32(bias, [channels], 'encoder_b')]);
  const name = withLogvar ? 'latent_parameters' : 'latent_sample';
  g.output(g.fromF32(latent, ft, name), { name, type: ft, dims: ['batch_size', channels, 'height_latent', 'width_latent'] });
  return g.encode();
}

export interface VaeDecoderGraphOptions {
  floatType: ElemType;
  /** Multiply the output by NaN (to test the fp16-VAE NaN error path). */
  nan: boolean;
}

/** Decoder: colour = pinv(E)·(latent − e), repeated over each 8×8 block (latent already divided by 0.13025). */
export function buildVaeDecoder(p: TinyParameters, options: VaeDecoderGraphOptions): EncodedModel {
  const g = new GraphBuilder('tiny_vae_decoder');
  const ft = options.floatType;
  const latent = g.toF32(g.input({ name: 'latent_sample', type: ft, dims: ['batch_size', 4, 'height_latent', 'width_latent'] }), ft);
  const m = p.vaeDecoderMatrix;
  const bias = [0, 1, 2].map((r) => -VAE_ENCODER_BIAS.reduce((sum, b, c) => sum + m[r * 4 + c] * b, 0));
  const colour = g.op('Conv', [latent, g.f32(m, [3, 4, 1, 1], 'decoder_w'), g.f32(bias, [3], 'decoder_b')]);
  // Nearest ×8 upsampling as unsqueeze → expand → reshape: several times faster in ORT than Resize at 1024².
  const blocks = g.op('Expand', [g.op('Unsqueeze', [colour, g.i64([3, 5], [2])]), g.i64([1, 1, 1, 8, 1, 8], [6])]);
  const dims = g.op('Shape', [colour]);
  const outDims = g.op('Concat', [g.op('Slice', [dims, g.i64([0], [1]), g.i64([2], [1])]), g.op('Mul', [g.op('Slice', [dims, g.i64([2], [1]), g.i64([4], [1])]), g.i64([8], [1])])], { axis: { i: 0 } });
  let image = g.op('Reshape', [blocks, outDims]);
  if (options.nan) image = g.op('Mul', [image, g.f32([Number.NaN], [], 'nan')]);
  g.output(g.fromF32(image, ft, 'sample'), { name: 'sample', type: ft, dims: ['batch_size', 3, 'height', 'width'] });
  return g.encode();
}
