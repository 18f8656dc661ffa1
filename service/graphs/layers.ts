/**
 * The small graph DSL the network builders share: a `Net` (graph + weight source + compute precision) and the layers
 * diffusers and transformers are made of, each written once. Weights stay where the source keeps them; an fp16/bf16
 * weight feeding a float32 graph gets a Cast node (ORT folds it once at session creation) instead of a converted copy.
 * Linear layers use Gemm with transB so a [out, in] weight is used as stored (MatMul would need a transposed copy).
 */
import { float32ToFloat16Bits } from '../runtime/float16';
import { GraphBuilder, ONNX_TYPE } from './onnx-graph';
import type { AttrValue, ElemType, ValueSpec } from './onnx-graph';
import type { WeightSource } from './weights';

export type ComputeType = 'float32' | 'float16';

export interface NetOptions {
  weights: WeightSource;
  /** Maps a weight file (absolute path) to its location relative to the model file. */
  locate(file: string): string;
  compute: ComputeType;
  /**
   * 'fused' (default): onnxruntime's MultiHeadAttention contrib op, which never materialises the [S, S] score matrix
   * (measured on CPU, 4096 tokens × 10 heads, batch 2: same output to 1e-7, 265 MB peak instead of 1640 MB, no
   * slower) and uses flash / memory-efficient kernels on CUDA. 'matmul': plain ONNX ops, for other runtimes.
   */
  attention?: 'fused' | 'matmul';
}

export class Net {
  readonly g: GraphBuilder;
  readonly compute: ComputeType;
  readonly fusedAttention: boolean;
  private readonly params = new Map<string, { value: string; transposed: boolean }>();

  constructor(
    name: string,
    private readonly options: NetOptions,
  ) {
    this.g = new GraphBuilder(name);
    this.compute = options.compute;
    this.fusedAttention = (options.attention ?? 'fused') === 'fused';
  }

  input(name: string, dims: ValueSpec['dims'], type: ElemType = this.compute): string {
    return this.g.input({ name, type, dims });
  }

  output(value: string, name: string, dims: ValueSpec['dims']): void {
    this.g.output(value, { name, type: this.compute, dims });
  }

  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.g.op(opType, inputs, attrs);
  }

  /** A weight by its diffusers name, in the compute type. `transposed` tells a linear layer how it is stored. */
  weight(name: string, shape: readonly number[]): { value: string; transposed: boolean } {
    const known = this.params.get(name);
    if (known) return known;
    const tensor = this.options.weights.tensor(name, shape);
    const stored = this.g.externalInitializer(name, tensor.type, tensor.dims, {
      location: this.options.locate(tensor.file),
      offset: tensor.offset,
      length: tensor.length,
    });
    const value = tensor.type === this.compute ? stored : this.g.op('Cast', [stored], { to: { i: ONNX_TYPE[this.compute] } });
    const weight = { value, transposed: tensor.transposed };
    this.params.set(name, weight);
    return weight;
  }

  param(name: string, shape: readonly number[]): string {
    return this.weight(name, shape).value;
  }

  /** A constant in the compute type. */
  floats(values: ArrayLike<number>, dims: readonly number[], hint = 'const'): string {
    if (this.compute === 'float32') return this.g.f32(values, dims, hint);
    const bits = Uint16Array.from(Array.from(values, (v) => float32ToFloat16Bits(v)));
    return this.g.constant(new Uint8Array(bits.buffer), 'float16', dims, hint);
  }

  scalar(value: number, hint = 'scalar'): string {
    return this.floats([value], [], hint);
  }

  ints(values: readonly number[], hint = 'shape'): string {
    return this.g.i64(values, [values.length], hint);
  }

  encode(): Uint8Array {
    return this.g.encode(undefined, 'genfill').model;
  }
}

/** x·σ(x). */
export function silu(net: Net, x: string): string {
  return net.op('Mul', [x, net.op('Sigmoid', [x])]);
}

/** Exact (erf) GELU, as torch's default: 0.5·x·(1 + erf(x/√2)). Opset 17 has no Gelu op; ORT fuses this pattern. */
export function gelu(net: Net, x: string): string {
  const erf = net.op('Erf', [net.op('Mul', [x, net.scalar(Math.SQRT1_2)])]);
  return net.op('Mul', [net.op('Mul', [x, net.scalar(0.5)]), net.op('Add', [erf, net.scalar(1)])]);
}

/** CLIP's quick_gelu: x·σ(1.702·x). */
export function quickGelu(net: Net, x: string): string {
  return net.op('Mul', [x, net.op('Sigmoid', [net.op('Mul', [x, net.scalar(1.702)])])]);
}

/** Shape of `x` without its last axis, for restoring a flattened linear's output. */
export function leadingShape(net: Net, x: string, rank: number): string {
  return net.op('Slice', [net.op('Shape', [x]), net.ints([0]), net.ints([rank - 1])]);
}

/**
 * torch.nn.Linear on the last axis of a rank-`rank` tensor: y = x·Wᵀ + b with W [out, in]. Ranks above 2 are
 * flattened to 2-D around the Gemm; `leading` (from leadingShape) may be shared by layers on the same input shape.
 */
export function linear(
  net: Net,
  x: string,
  prefix: string,
  inFeatures: number,
  outFeatures: number,
  options: { bias?: boolean; rank?: number; leading?: string } = {},
): string {
  const rank = options.rank ?? 3;
  const w = net.weight(`${prefix}.weight`, [outFeatures, inFeatures]);
  const inputs = [rank === 2 ? x : net.op('Reshape', [x, net.ints([-1, inFeatures])]), w.value];
  if (options.bias ?? true) inputs.push(net.param(`${prefix}.bias`, [outFeatures]));
  const y = net.op('Gemm', inputs, { transB: { i: w.transposed ? 0 : 1 } });
  if (rank === 2) return y;
  const leading = options.leading ?? leadingShape(net, x, rank);
  return net.op('Reshape', [y, net.op('Concat', [leading, net.ints([outFeatures])], { axis: { i: 0 } })]);
}

/** torch.nn.Conv2d, square kernel; `pads` as ONNX orders them [top, left, bottom, right]. */
export function conv2d(
  net: Net,
  x: string,
  prefix: string,
  inChannels: number,
  outChannels: number,
  kernel: number,
  options: { stride?: number; pads?: readonly number[] } = {},
): string {
  const pad = (kernel - 1) / 2;
  const w = net.param(`${prefix}.weight`, [outChannels, inChannels, kernel, kernel]);
  const b = net.param(`${prefix}.bias`, [outChannels]);
  const stride = options.stride ?? 1;
  return net.op('Conv', [x, w, b], {
    kernel_shape: { ints: [kernel, kernel] },
    strides: { ints: [stride, stride] },
    pads: { ints: options.pads ?? [pad, pad, pad, pad] },
  });
}

/** A per-channel vector [C] as [C, 1, 1], to broadcast over NCHW. */
function perChannel(net: Net, vector: string): string {
  return net.op('Reshape', [vector, net.ints([-1, 1, 1])]);
}

/**
 * torch.nn.GroupNorm on NCHW: opset 17 has no GroupNormalization (it arrived in opset 18 and ORT's CPU kernel for it
 * is recent), so: reshape to [N, G, rest], InstanceNormalization (per group statistics), reshape back, affine.
 */
export function groupNorm(net: Net, x: string, prefix: string, channels: number, groups: number, eps: number): string {
  const grouped = net.op('Reshape', [x, net.ints([0, groups, -1])]);
  const normed = net.op('InstanceNormalization', [grouped, net.floats(new Array(groups).fill(1), [groups], 'ones'), net.floats(new Array(groups).fill(0), [groups], 'zeros')], {
    epsilon: { f: eps },
  });
  const restored = net.op('Reshape', [normed, net.op('Shape', [x])]);
  const gamma = perChannel(net, net.param(`${prefix}.weight`, [channels]));
  const beta = perChannel(net, net.param(`${prefix}.bias`, [channels]));
  return net.op('Add', [net.op('Mul', [restored, gamma]), beta]);
}

/** torch.nn.LayerNorm over the last axis. */
export function layerNorm(net: Net, x: string, prefix: string, features: number, eps: number): string {
  return net.op('LayerNormalization', [x, net.param(`${prefix}.weight`, [features]), net.param(`${prefix}.bias`, [features])], {
    axis: { i: -1 },
    epsilon: { f: eps },
  });
}

/**
 * Scaled dot-product attention over [B, S, H·D] projections: softmax(q·kᵀ/√D + mask)·v per head. Fused (see
 * NetOptions.attention) unless masked; CLIP's 77-token causal attention stays in plain ops. `mask` is additive and
 * broadcasts to [B, H, Sq, Sk].
 */
export function attention(net: Net, q: string, k: string, v: string, heads: number, headDim: number, mask?: string): string {
  if (net.fusedAttention && mask === undefined) return net.g.contribOp('MultiHeadAttention', [q, k, v], { num_heads: { i: heads } });
  const split = (t: string, perm: number[]): string => net.op('Transpose', [net.op('Reshape', [t, net.ints([0, 0, heads, headDim])])], { perm: { ints: perm } });
  const qh = split(net.op('Mul', [q, net.scalar(1 / Math.sqrt(headDim))]), [0, 2, 1, 3]);
  const kt = split(k, [0, 2, 3, 1]);
  const vh = split(v, [0, 2, 1, 3]);
  let scores = net.op('MatMul', [qh, kt]);
  if (mask) scores = net.op('Add', [scores, mask]);
  const context = net.op('MatMul', [net.op('Softmax', [scores], { axis: { i: -1 } }), vh]);
  return net.op('Reshape', [net.op('Transpose', [context], { perm: { ints: [0, 2, 1, 3] } }), net.ints([0, 0, heads * headDim])]);
}

/** NCHW → [N, H·W, C] (tokens), and back given the original tensor's shape. */
export function toTokens(net: Net, x: string): string {
  return net.op('Transpose', [net.op('Reshape', [x, net.ints([0, 0, -1])])], { perm: { ints: [0, 2, 1] } });
}

export function fromTokens(net: Net, tokens: string, like: string): string {
  return net.op('Reshape', [net.op('Transpose', [tokens], { perm: { ints: [0, 2, 1] } }), net.op('Shape', [like])]);
}

/** Nearest-neighbour ×2 upsampling of NCHW (F.interpolate(scale_factor=2, mode="nearest")). */
export function upsampleNearest2x(net: Net, x: string): string {
  return net.op('Resize', [x, '', net.g.f32([1, 1, 2, 2], [4], 'scales')], {
    mode: { s: 'nearest' },
    coordinate_transformation_mode: { s: 'asymmetric' },
    nearest_mode: { s: 'floor' },
  });
}
