/**
 * transformers' CLIPTextModel (SDXL's text_encoder) and CLIPTextModelWithProjection (text_encoder_2) with optimum's
 * I/O: int32 input_ids → last_hidden_state, pooler_output or text_embeds, and every hidden state (`hidden_states.0` =
 * embeddings … `hidden_states.L`), since SDXL conditions on the penultimate one.
 */
import type { ClipTextConfig } from './configs';
import { attention, gelu, layerNorm, leadingShape, linear, Net, quickGelu } from './layers';
import type { NetOptions } from './layers';

const PREFIX = 'text_model';

export function buildClipText(config: ClipTextConfig, options: NetOptions, name: 'text_encoder' | 'text_encoder_2'): Net {
  const net = new Net(name, options);
  const d = config.hiddenSize;
  const dims = ['batch', 'sequence', d];
  const ids = net.input('input_ids', ['batch', 'sequence'], 'int32');
  const sequence = net.op('Slice', [net.op('Shape', [ids]), net.ints([1]), net.ints([2])]);

  // Embeddings: token + position (positions 0…S−1).
  const tokens = net.op('Gather', [net.param(`${PREFIX}.embeddings.token_embedding.weight`, [config.vocabSize, d]), ids], { axis: { i: 0 } });
  const positions = net.op('Slice', [net.param(`${PREFIX}.embeddings.position_embedding.weight`, [config.maxPositions, d]), net.ints([0]), sequence, net.ints([0])]);
  let h = net.op('Add', [tokens, positions]);

  // Causal mask: a token attends to itself and earlier ones (the most negative float elsewhere, as transformers).
  const p = config.maxPositions;
  const causal = Float32Array.from({ length: p * p }, (_, k) => (k % p > Math.floor(k / p) ? -3.4028234663852886e38 : 0));
  const mask = net.op('Slice', [net.floats(causal, [p, p], 'causal_mask'), net.ints([0, 0]), net.op('Concat', [sequence, sequence], { axis: { i: 0 } }), net.ints([0, 1])]);

  const hiddenStates = [h];
  const leading = leadingShape(net, h, 3);
  const heads = config.heads;
  const activation = config.activation === 'quick_gelu' ? quickGelu : gelu;
  for (let l = 0; l < config.layers; l++) {
    const prefix = `${PREFIX}.encoder.layers.${l}`;
    const lin = (x: string, part: string, inF: number, outF: number): string => linear(net, x, `${prefix}.${part}`, inF, outF, { leading });
    let n = layerNorm(net, h, `${prefix}.layer_norm1`, d, config.layerNormEps);
    const context = attention(net, lin(n, 'self_attn.q_proj', d, d), lin(n, 'self_attn.k_proj', d, d), lin(n, 'self_attn.v_proj', d, d), heads, d / heads, mask);
    h = net.op('Add', [h, lin(context, 'self_attn.out_proj', d, d)]);
    n = layerNorm(net, h, `${prefix}.layer_norm2`, d, config.layerNormEps);
    const mlp = lin(activation(net, lin(n, 'mlp.fc1', d, config.intermediateSize)), 'mlp.fc2', config.intermediateSize, d);
    h = net.op('Add', [h, mlp]);
    hiddenStates.push(h);
  }
  const last = layerNorm(net, h, `${PREFIX}.final_layer_norm`, d, config.layerNormEps);

  // Pooled = the final state at the end-of-text token: transformers takes argmax(input_ids) when eos_token_id is the
  // legacy 2 (the highest id is <|endoftext|>), else the first position holding eos_token_id.
  const scores =
    config.eosTokenId === 2
      ? net.op('Cast', [ids], { to: { i: 1 } })
      : net.op('Cast', [net.op('Equal', [ids, net.g.constant(new Uint8Array(new Int32Array([config.eosTokenId]).buffer), 'int32', [], 'eos')])], { to: { i: 1 } });
  const eos = net.op('Unsqueeze', [net.op('ArgMax', [scores], { axis: { i: 1 }, keepdims: { i: 0 } }), net.ints([1])]);
  const pooled = net.op('GatherND', [last, eos], { batch_dims: { i: 1 } });

  if (config.projectionDim === null) {
    net.output(last, 'last_hidden_state', dims);
    net.output(pooled, 'pooler_output', ['batch', d]);
  } else {
    const textEmbeds = linear(net, pooled, 'text_projection', d, config.projectionDim, { bias: false, rank: 2 });
    net.output(textEmbeds, 'text_embeds', ['batch', config.projectionDim]);
    net.output(last, 'last_hidden_state', dims);
  }
  hiddenStates.forEach((state, i) => net.output(state, `hidden_states.${i}`, dims));
  return net;
}
