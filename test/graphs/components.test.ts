// Each network genfill builds reproduces diffusers' / transformers' own outputs on the golden kit, from the diffusers
// folder and from the single file (configs from the diffusers folder), to ≤1e-4 relative.
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeGraphFolder } from '../../service/models/graph-folder';
import { diffusersPlan, singleFilePlan } from '../../service/models/plans';
import type { GraphPlan } from '../../service/models/plans';
import { GOLDEN, GOLDEN_DIFFUSERS, GOLDEN_SINGLE_FILE, GOLDEN_SKIP_MESSAGE, haveGolden, readF32, readGoldenJson, relativeError } from './golden';
import { tempDirs } from './temp-dirs';
import { rewriteSafetensors } from '../model-sources/safetensors-files';

if (!haveGolden) console.warn(GOLDEN_SKIP_MESSAGE);

interface TensorRef { file: string; shape: number[] }
interface Components {
  text_encoder: { input_ids: number[]; hidden_states_penultimate: TensorRef; pooler_output: TensorRef };
  text_encoder_2: { input_ids: number[]; hidden_states_penultimate: TensorRef; text_embeds: TensorRef };
  unet: { sample: TensorRef; timestep: number; encoder_hidden_states: TensorRef; text_embeds: TensorRef; time_ids: number[][]; out: TensorRef };
  vae_encoder: { sample: TensorRef; latent_parameters: TensorRef };
  vae_decoder: { latent_sample: TensorRef; sample: TensorRef };
}

const TOLERANCE = 1e-4;
const temp = tempDirs('genfill-graphs');

function tensor(ref: TensorRef): ort.Tensor {
  return new ort.Tensor('float32', readF32(join(GOLDEN, 'components', ref.file)), ref.shape);
}
function expected(ref: TensorRef): Float32Array {
  return readF32(join(GOLDEN, 'components', ref.file));
}

async function run(dir: string, component: string, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(join(dir, component, 'model.onnx'));
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

/** The kit's single file as most downloaded checkpoints spell CLIP-L: `…transformer.text_model.*` (transformers < 5). */
function withTextModelPrefix(): string {
  const path = join(temp(), 'text-model-prefix.safetensors');
  rewriteSafetensors(GOLDEN_SINGLE_FILE, path, (header) => {
    const prefix = 'conditioner.embedders.0.transformer.';
    for (const key of Object.keys(header).filter((k) => k.startsWith(prefix))) {
      header[`${prefix}text_model.${key.slice(prefix.length)}`] = header[key];
      delete header[key];
    }
  });
  return path;
}

const sources: [string, () => GraphPlan][] = [
  ['diffusers folder', () => diffusersPlan(GOLDEN_DIFFUSERS)],
  ['single file (configs from diffusers/)', () => singleFilePlan(GOLDEN_SINGLE_FILE, { configFrom: GOLDEN_DIFFUSERS })],
  ['single file spelling CLIP-L with text_model.', () => singleFilePlan(withTextModelPrefix(), { configFrom: GOLDEN_DIFFUSERS })],
];

describe.skipIf(!haveGolden).each(sources)('graphs built from the %s', (_label, plan) => {
  let dir: string;
  let c: Components;
  beforeAll(async () => {
    c = readGoldenJson<Components>('components/components.json');
    const root = temp();
    dir = join(root, 'model');
    await writeGraphFolder(plan(), dir);
  });

  it('text_encoder: penultimate hidden state and pooled output', async () => {
    const ids = new ort.Tensor('int32', Int32Array.from(c.text_encoder.input_ids), [1, 77]);
    const out = await run(dir, 'text_encoder', { input_ids: ids });
    expect(Object.keys(out).filter((k) => k.startsWith('hidden_states.')).length).toBe(6);
    expect(relativeError(out['hidden_states.4'], expected(c.text_encoder.hidden_states_penultimate))).toBeLessThan(TOLERANCE);
    expect(relativeError(out.pooler_output, expected(c.text_encoder.pooler_output))).toBeLessThan(TOLERANCE);
  });

  it('text_encoder_2: penultimate hidden state and text_embeds', async () => {
    const ids = new ort.Tensor('int32', Int32Array.from(c.text_encoder_2.input_ids), [1, 77]);
    const out = await run(dir, 'text_encoder_2', { input_ids: ids });
    expect(relativeError(out['hidden_states.3'], expected(c.text_encoder_2.hidden_states_penultimate))).toBeLessThan(TOLERANCE);
    expect(relativeError(out.text_embeds, expected(c.text_encoder_2.text_embeds))).toBeLessThan(TOLERANCE);
  });

  it('unet: noise prediction', async () => {
    const u = c.unet;
    const out = await run(dir, 'unet', {
      sample: tensor(u.sample),
      timestep: new ort.Tensor('float32', Float32Array.from([u.timestep]), []),
      encoder_hidden_states: tensor(u.encoder_hidden_states),
      text_embeds: tensor(u.text_embeds),
      time_ids: new ort.Tensor('float32', Float32Array.from(u.time_ids.flat()), [u.time_ids.length, 6]),
    });
    expect(relativeError(out.out_sample, expected(u.out))).toBeLessThan(TOLERANCE);
  });

  it('vae_encoder: latent_parameters (mean‖logvar)', async () => {
    const out = await run(dir, 'vae_encoder', { sample: tensor(c.vae_encoder.sample) });
    expect(relativeError(out.latent_parameters, expected(c.vae_encoder.latent_parameters))).toBeLessThan(TOLERANCE);
  });

  it('vae_decoder: image', async () => {
    const out = await run(dir, 'vae_decoder', { latent_sample: tensor(c.vae_decoder.latent_sample) });
    expect(relativeError(out.sample, expected(c.vae_decoder.sample))).toBeLessThan(TOLERANCE);
  });
});
