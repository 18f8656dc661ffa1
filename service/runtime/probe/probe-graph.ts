/**
 * The provider self-test's graph, built at run time: one small instance of each op family an SDXL export runs, each
 * fed straight from the graph inputs and exposed as its own output, so a wrong kernel is named by the output that
 * differs from CPU and a wrong op never hides behind another.
 */
import { GraphBuilder } from '../../graphs/onnx-graph';
import type { TensorData } from '../runtime';

/** x: [1, 9, 8, 8] like the inpainting UNet's `sample`; context: [1, 5, 9] tokens; skip: [1, 4, 8, 8]. */
export const PROBE_SHAPES = { x: [1, 9, 8, 8], context: [1, 5, 9], skip: [1, 4, 8, 8] } as const;
const CHANNELS = 9;
const SIDE = 8;
const TOKENS = SIDE * SIDE;
const GROUPS = 3;
const HEAD = 8;
export const MHA_HEADS = 2;
/** Output channels of the probe's conv: a multiple of 32 like SDXL's 320, so the kernel takes the same code path. */
export const PROBE_CONV_OUT = 32;
export const PROBE_EPSILON = 1e-5;

export interface ProbeCheck {
  /** Graph output name. */
  output: string;
  /** The op(s) it exercises, as a message names them. */
  op: string;
}

/** One check per output, in graph order. `conv9x3` is the one with a known WebGPU bug and workaround. */
export const PROBE_CHECKS: readonly ProbeCheck[] = [
  { output: 'conv9x3', op: 'Conv with 9 input channels and a 3×3 kernel (the inpainting UNet\'s conv_in)' },
  { output: 'group_norm', op: 'Reshape + InstanceNormalization (group norm)' },
  { output: 'attention', op: 'MatMul + Softmax (attention)' },
  { output: 'mha', op: 'MultiHeadAttention (onnxruntime contrib op; the attention of graphs genfill builds)' },
  { output: 'gemm', op: 'Gemm with transB (every Linear layer of graphs genfill builds)' },
  { output: 'layer_norm', op: 'LayerNormalization' },
  { output: 'gelu', op: 'Gelu (Erf form)' },
  { output: 'silu', op: 'Sigmoid (SiLU)' },
  { output: 'resize', op: 'Resize (nearest, 2×)' },
  { output: 'concat', op: 'Concat' },
  { output: 'fp16', op: 'Cast to float16 and a float16 Add' },
];
export const KNOWN_BUG_CHECK = 'conv9x3';

/** Deterministic values in [-1, 1] (no randomness: the verdict must not depend on a draw). */
function values(count: number, seed: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin((i + 1) * 12.9898 + seed * 78.233) * 0.999);
}

/** The probe's inputs and weights; exported so tests can compute every output independently. */
export function probeParameters() {
  return {
    x: values(CHANNELS * TOKENS, 1),
    context: values(5 * CHANNELS, 2),
    skip: values(4 * TOKENS, 3),
    convWeight: values(PROBE_CONV_OUT * CHANNELS * 9, 4).map((v) => v * 0.3),
    convBias: values(PROBE_CONV_OUT, 5),
    groupScale: values(CHANNELS, 6).map((v) => 1 + 0.5 * v),
    groupBias: values(CHANNELS, 7),
    wq: values(CHANNELS * HEAD, 8),
    wk: values(CHANNELS * HEAD, 9),
    wv: values(CHANNELS * HEAD, 10),
    layerScale: values(CHANNELS, 11).map((v) => 1 + 0.5 * v),
    layerBias: values(CHANNELS, 12),
    gemmWeight: values(HEAD * CHANNELS, 13),
    gemmBias: values(HEAD, 14),
  };
}
export type ProbeParameters = ReturnType<typeof probeParameters>;

export interface ProbeGraph {
  model: Uint8Array;
  feeds: Record<string, TensorData>;
}

export function buildProbeGraph(p: ProbeParameters = probeParameters()): ProbeGraph {
  const g = new GraphBuilder('genfill_provider_probe');
  const x = g.input({ name: 'x', type: 'float32', dims: [...PROBE_SHAPES.x] });
  const context = g.input({ name: 'context', type: 'float32', dims: [...PROBE_SHAPES.context] });
  const skip = g.input({ name: 'skip', type: 'float32', dims: [...PROBE_SHAPES.skip] });
  const out = (value: string, name: string, dims: readonly number[]): void => g.output(value, { name, type: 'float32', dims });

  out(
    g.op('Conv', [x, g.f32(p.convWeight, [PROBE_CONV_OUT, CHANNELS, 3, 3], 'conv_w'), g.f32(p.convBias, [PROBE_CONV_OUT], 'conv_b')], {
      kernel_shape: { ints: [3, 3] },
      pads: { ints: [1, 1, 1, 1] },
    }),
    'conv9x3',
    [1, PROBE_CONV_OUT, SIDE, SIDE],
  );

  // diffusers' GroupNorm as torch exports it at opset 17: reshape to [N, groups, -1], instance-normalise, reshape
  // back, then the per-channel affine.
  const grouped = g.op('Reshape', [x, g.i64([1, GROUPS, -1], [3])]);
  const normalised = g.op('InstanceNormalization', [grouped, g.f32(new Float32Array(GROUPS).fill(1), [GROUPS]), g.f32(new Float32Array(GROUPS), [GROUPS])], {
    epsilon: { f: PROBE_EPSILON },
  });
  const back = g.op('Reshape', [normalised, g.i64([...PROBE_SHAPES.x], [4])]);
  out(
    g.op('Add', [g.op('Mul', [back, g.f32(p.groupScale, [CHANNELS, 1, 1])]), g.f32(p.groupBias, [CHANNELS, 1, 1])]),
    'group_norm',
    PROBE_SHAPES.x,
  );

  // Cross-attention as the UNet's transformer blocks run it: image tokens attend to the text context.
  const tokens = g.op('Transpose', [g.op('Reshape', [x, g.i64([1, CHANNELS, TOKENS], [3])])], { perm: { ints: [0, 2, 1] } });
  const q = g.op('MatMul', [tokens, g.f32(p.wq, [CHANNELS, HEAD], 'wq')]);
  const k = g.op('MatMul', [context, g.f32(p.wk, [CHANNELS, HEAD], 'wk')]);
  const v = g.op('MatMul', [context, g.f32(p.wv, [CHANNELS, HEAD], 'wv')]);
  const scores = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: { ints: [0, 2, 1] } })]), g.f32([1 / Math.sqrt(HEAD)], [])]);
  out(g.op('MatMul', [g.op('Softmax', [scores], { axis: { i: -1 } }), v]), 'attention', [1, TOKENS, HEAD]);
  // The same projections through the fused op, split into heads of 4 (service/graphs/layers.ts uses it).
  out(g.contribOp('MultiHeadAttention', [q, k, v], { num_heads: { i: MHA_HEADS } }), 'mha', [1, TOKENS, HEAD]);
  out(
    g.op('Gemm', [g.op('Reshape', [tokens, g.i64([TOKENS, CHANNELS], [2])]), g.f32(p.gemmWeight, [HEAD, CHANNELS], 'gemm_w'), g.f32(p.gemmBias, [HEAD], 'gemm_b')], {
      transB: { i: 1 },
    }),
    'gemm',
    [TOKENS, HEAD],
  );

  out(
    g.op('LayerNormalization', [tokens, g.f32(p.layerScale, [CHANNELS]), g.f32(p.layerBias, [CHANNELS])], {
      axis: { i: -1 },
      epsilon: { f: PROBE_EPSILON },
    }),
    'layer_norm',
    [1, TOKENS, CHANNELS],
  );

  const erf = g.op('Erf', [g.op('Mul', [x, g.f32([Math.SQRT1_2], [])])]);
  out(g.op('Mul', [g.op('Mul', [x, g.f32([0.5], [])]), g.op('Add', [erf, g.f32([1], [])])]), 'gelu', PROBE_SHAPES.x);
  out(g.op('Mul', [x, g.op('Sigmoid', [x])]), 'silu', PROBE_SHAPES.x);

  // diffusers' Upsample2D: F.interpolate(scale_factor=2, mode="nearest") exports as this Resize.
  out(
    g.op('Resize', [x, '', g.f32([1, 1, 2, 2], [4], 'scales')], {
      mode: { s: 'nearest' },
      coordinate_transformation_mode: { s: 'asymmetric' },
      nearest_mode: { s: 'floor' },
    }),
    'resize',
    [1, CHANNELS, 2 * SIDE, 2 * SIDE],
  );
  out(g.op('Concat', [x, skip], { axis: { i: 1 } }), 'concat', [1, CHANNELS + 4, SIDE, SIDE]);

  // A float16 graph output: casting back to float32 inside the graph would let onnxruntime drop the cast pair.
  const half = g.fromF32(x, 'float16');
  g.output(g.op('Add', [half, half]), { name: 'fp16', type: 'float16', dims: PROBE_SHAPES.x });

  return {
    model: g.encode().model,
    feeds: {
      x: { type: 'float32', data: p.x, dims: PROBE_SHAPES.x },
      context: { type: 'float32', data: p.context, dims: PROBE_SHAPES.context },
      skip: { type: 'float32', data: p.skip, dims: PROBE_SHAPES.skip },
    },
  };
}
