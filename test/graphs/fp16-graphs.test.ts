// --graph-dtype fp16: the UNet and text encoders compute in fp16 (fp16 I/O, as an fp16 optimum export), the VAE
// stays fp32; each network stays within fp16 rounding of diffusers' own outputs.
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeGraphFolder } from '../../service/models/graph-folder';
import { diffusersPlan } from '../../service/models/plans';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../service/runtime/float16';
import { GOLDEN, GOLDEN_DIFFUSERS, GOLDEN_SKIP_MESSAGE, haveGolden, readF32, readGoldenJson, relativeError } from './golden';
import { tempDirs } from './temp-dirs';

if (!haveGolden) console.warn(GOLDEN_SKIP_MESSAGE);
const temp = tempDirs('genfill-fp16-graphs');

/** fp16 keeps 11 significant bits (2⁻¹¹ ≈ 4.9e-4 per rounding); measured ≤ 1.2e-3 over whole networks. */
const FP16_TOLERANCE = 4e-3;

interface Ref { file: string; shape: number[] }
const golden = (ref: Ref): Float32Array => readF32(join(GOLDEN, 'components', ref.file));
const half = (values: Float32Array, dims: number[]): ort.Tensor => new ort.Tensor('float16', Uint16Array.from(values, (v) => float32ToFloat16Bits(v)), dims);
const single = (tensor: ort.Tensor): Float32Array => Float32Array.from(tensor.data as Uint16Array, (bits) => float16BitsToFloat32(bits));

describe.skipIf(!haveGolden)('fp16 graphs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(temp(), 'model');
    await writeGraphFolder(diffusersPlan(GOLDEN_DIFFUSERS), dir, { compute: 'float16' });
  });

  async function run(component: string, feeds: Record<string, ort.Tensor>): Promise<{ types: string[]; out: ort.InferenceSession.OnnxValueMapType }> {
    const session = await ort.InferenceSession.create(join(dir, component, 'model.onnx'));
    try {
      const types = session.inputMetadata.map((i) => (i as { type?: string }).type ?? '?');
      return { types, out: await session.run(feeds) };
    } finally {
      await session.release();
    }
  }

  it('unet: fp16 I/O, noise prediction within fp16 rounding', async () => {
    const u = readGoldenJson<{ unet: { sample: Ref; timestep: number; encoder_hidden_states: Ref; text_embeds: Ref; time_ids: number[][]; out: Ref } }>('components/components.json').unet;
    const { types, out } = await run('unet', {
      sample: half(golden(u.sample), u.sample.shape),
      timestep: half(Float32Array.from([u.timestep]), []),
      encoder_hidden_states: half(golden(u.encoder_hidden_states), u.encoder_hidden_states.shape),
      text_embeds: half(golden(u.text_embeds), u.text_embeds.shape),
      time_ids: half(Float32Array.from(u.time_ids.flat()), [u.time_ids.length, 6]),
    });
    expect(types).toEqual(['float16', 'float16', 'float16', 'float16', 'float16']);
    expect(relativeError(single(out.out_sample), golden(u.out))).toBeLessThan(FP16_TOLERANCE);
  });

  it('text encoders: int32 ids in, fp16 states out, within fp16 rounding', async () => {
    const c = readGoldenJson<{ text_encoder: { input_ids: number[]; pooler_output: Ref }; text_encoder_2: { input_ids: number[]; text_embeds: Ref; hidden_states_penultimate: Ref } }>('components/components.json');
    const ids = (values: number[]): ort.Tensor => new ort.Tensor('int32', Int32Array.from(values), [1, 77]);
    const first = await run('text_encoder', { input_ids: ids(c.text_encoder.input_ids) });
    expect(relativeError(single(first.out.pooler_output), golden(c.text_encoder.pooler_output))).toBeLessThan(FP16_TOLERANCE);
    const second = await run('text_encoder_2', { input_ids: ids(c.text_encoder_2.input_ids) });
    expect(relativeError(single(second.out['hidden_states.3']), golden(c.text_encoder_2.hidden_states_penultimate))).toBeLessThan(FP16_TOLERANCE);
    expect(relativeError(single(second.out.text_embeds), golden(c.text_encoder_2.text_embeds))).toBeLessThan(FP16_TOLERANCE);
  });

  it('vae: stays fp32 (SDXL\'s VAE overflows in fp16) and exact', async () => {
    const v = readGoldenJson<{ vae_decoder: { latent_sample: Ref; sample: Ref } }>('components/components.json').vae_decoder;
    const { types, out } = await run('vae_decoder', { latent_sample: new ort.Tensor('float32', golden(v.latent_sample), v.latent_sample.shape) });
    expect(types).toEqual(['float32']);
    expect(relativeError(out.sample.data as Float32Array, golden(v.sample))).toBeLessThan(1e-4);
  });
});
