// Tiny CLIP text encoders with optimum's I/O: every hidden_states.k is a different cheap function of the token ids.
import { GraphBuilder } from '../../../service/graphs/onnx-graph';
import type { ElemType, ExternalDataOptions, EncodedModel, ValueSpec } from '../../../service/graphs/onnx-graph';
import { EMBED_ROWS, MAX_POSITIONS, RESIDUAL_GAIN, SMALL_DIM } from './parameters';
import type { TextEncoderParameters } from './parameters';

export interface TextEncoderGraphOptions {
  /** 'clip' = CLIPTextModel (last_hidden_state, pooler_output), 'projection' = CLIPTextModelWithProjection (text_embeds first). */
  kind: 'clip' | 'projection';
  /** Type of every float output. */
  floatType: ElemType;
  externalData?: ExternalDataOptions;
}

/**
 * Graph (mirrored by the oracle):
 *   h_0 = tokenTable[id mod 997] + positionTable[pos];  h_k = h_{k−1} + 0.5·tanh(h_{k−1}·W_k + b_k)  (k = 1..L, width 8)
 *   hidden_states.k = h_k·widen;  last_hidden_state = tanh(hidden_states.L)
 *   pooler_output / text_embeds = mean_pos(tanh(h_L))·pool
 */
export function buildTextEncoder(p: TextEncoderParameters, options: TextEncoderGraphOptions): EncodedModel {
  const g = new GraphBuilder(options.kind === 'clip' ? 'tiny_clip_text' : 'tiny_clip_text_with_projection');
  const ft = options.floatType;
  const d = p.hiddenSize;
  const ids = g.input({ name: 'input_ids', type: 'int64', dims: ['batch_size', 'sequence_length'] });

  const rows = g.op('Mod', [ids, g.i64([EMBED_ROWS], [], 'embed_rows')]);
  const tokens = g.op('Gather', [g.f32(p.tokenTable, [EMBED_ROWS, SMALL_DIM], 'token_table'), rows]);
  const seqLen = g.op('Slice', [g.op('Shape', [ids]), g.i64([1], [1]), g.i64([2], [1])]);
  const positions = g.op('Slice', [g.f32(p.positionTable, [MAX_POSITIONS, SMALL_DIM], 'position_table'), g.i64([0], [1]), seqLen, g.i64([0], [1])]);
  const states = [g.op('Add', [tokens, positions], {}, 'h_0')];
  for (let k = 0; k < p.layers; k++) {
    const mixed = g.op('MatMul', [states[k], g.f32(p.layerWeights[k], [SMALL_DIM, SMALL_DIM], `layer${k + 1}_w`)]);
    const update = g.op('Tanh', [g.op('Add', [mixed, g.f32(p.layerBiases[k], [SMALL_DIM], `layer${k + 1}_b`)])]);
    states.push(g.op('Add', [states[k], g.op('Mul', [update, g.f32([RESIDUAL_GAIN], [], 'residual_gain')])], {}, `h_${k + 1}`));
  }
  const widen = g.f32(p.widen, [SMALL_DIM, d], 'widen');
  const hidden = states.map((h) => g.op('MatMul', [h, widen]));
  const last = g.op('Tanh', [hidden[p.layers]]);
  const meanState = g.op('ReduceMean', [g.op('Tanh', [states[p.layers]])], { axes: { ints: [1] }, keepdims: { i: 0 } });
  const pooled = g.op('MatMul', [meanState, g.f32(p.pool, [SMALL_DIM, d], 'pool')]);

  const emit = (value: string, spec: ValueSpec): void => g.output(g.fromF32(value, ft, spec.name), spec);
  const seqDims = ['batch_size', 'sequence_length', d];
  if (options.kind === 'clip') {
    emit(last, { name: 'last_hidden_state', type: ft, dims: seqDims });
    emit(pooled, { name: 'pooler_output', type: ft, dims: ['batch_size', d] });
  } else {
    // optimum's dynamic-axis map labels text_embeds dim 1 "sequence_length" too (spec §8.3 quirk), so the dim is symbolic.
    emit(pooled, { name: 'text_embeds', type: ft, dims: ['batch_size', 'sequence_length'] });
    emit(last, { name: 'last_hidden_state', type: ft, dims: seqDims });
  }
  hidden.forEach((h, k) => emit(h, { name: `hidden_states.${k}`, type: ft, dims: seqDims }));
  return g.encode(options.externalData);
}
