// buildUnetWithRandomWeights: a UNet from a config alone (for timing the full-size network where no model files are),
// checked on the golden kit's tiny UNet config.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildUnetWithRandomWeights } from '../../service/models/random-weights';
import { GOLDEN_DIFFUSERS, GOLDEN_SKIP_MESSAGE, haveGolden } from './golden';
import { tempDirs } from './temp-dirs';

if (!haveGolden) console.warn(GOLDEN_SKIP_MESSAGE);
const temp = tempDirs('genfill-random-unet');

function feeds(type: 'float32' | 'float16'): Record<string, ort.Tensor> {
  const make = (dims: number[], value: number): ort.Tensor => {
    const n = dims.reduce((a, b) => a * b, 1);
    // 0x3c00 = 1.0 and 0x2e66 ≈ 0.1 in fp16
    return type === 'float32' ? new ort.Tensor('float32', new Float32Array(n).fill(value), dims) : new ort.Tensor('float16', new Uint16Array(n).fill(value === 1 ? 0x3c00 : 0x2e66), dims);
  };
  return { sample: make([2, 9, 8, 12], 0.1), timestep: make([], 1), encoder_hidden_states: make([2, 77, 40], 0.1), text_embeds: make([2, 24], 0.1), time_ids: make([2, 6], 1) };
}

describe.skipIf(!haveGolden)('buildUnetWithRandomWeights', () => {
  const config = haveGolden ? (JSON.parse(readFileSync(join(GOLDEN_DIFFUSERS, 'unet', 'config.json'), 'utf8')) as Record<string, unknown>) : {};

  it.each([
    ['float16', 'float32'],
    ['float16', 'float16'],
    ['float32', 'float32'],
  ] as const)('%s weights, %s compute: runs and predicts finite noise of the latent shape', async (dtype, compute) => {
    const dir = temp();
    const built = buildUnetWithRandomWeights(config, dtype, dir, { compute });
    // The tiny UNet's parameter count: the sum over the kit's diffusion_pytorch_model.safetensors.
    expect(built.parameters).toBe(2_562_532);
    expect(statSync(join(dir, 'weights.bin')).size).toBe(built.weightBytes);
    const session = await ort.InferenceSession.create(built.modelPath);
    try {
      expect(session.inputMetadata.map((i) => [i.name, (i as { type?: string }).type])).toEqual(
        ['sample', 'timestep', 'encoder_hidden_states', 'text_embeds', 'time_ids'].map((name) => [name, compute]),
      );
      const out = (await session.run(feeds(compute))).out_sample;
      expect(out.dims).toEqual([2, 4, 8, 12]);
      const values = compute === 'float32' ? Array.from(out.data as Float32Array) : Array.from(out.data as Uint16Array, (bits) => ((bits & 0x7c00) === 0x7c00 ? NaN : 0));
      expect(values.every(Number.isFinite)).toBe(true);
    } finally {
      await session.release();
    }
  });
});
