// Given the REAL SDXL-inpaint architecture (genfill's known configs), the builder asks for exactly the tensors of
// diffusers/stable-diffusion-xl-1.0-inpainting-0.1 — names and shapes in diffusers and in single-file naming, and the
// parameter counts — without any weights (a ShapeRecorder answers every request).
import { describe, expect, it } from 'vitest';
import { parseUnetConfig, parseVaeConfig } from '../../service/graphs/configs';
import { convNodesFedBy } from '../../service/graphs/input-conv';
import { buildSdxlGraph } from '../../service/graphs/sdxl-graphs';
import { ShapeRecorder } from '../../service/graphs/weights';
import { SDXL_INPAINT_CONFIGS } from '../../service/models/known-configs';
import type { SingleFileKey } from '../../service/models/single-file-keys';
import { textEncoder2Keys, textEncoderKeys, unetKey, vaeKey } from '../../service/models/single-file-keys';
import { GOLDEN_SKIP_MESSAGE, haveGolden, readGoldenJson } from './golden';

if (!haveGolden) console.warn(GOLDEN_SKIP_MESSAGE);

type Network = 'unet' | 'vae' | 'text_encoder' | 'text_encoder_2';
interface ShapeTable {
  parameter_counts: Record<Network, number>;
  diffusers: Record<Network, Record<string, number[]>>;
  single_file: Record<string, number[]>;
}

function record(): Record<Network, ShapeRecorder> {
  const recorders = { unet: new ShapeRecorder(), vae: new ShapeRecorder(), text_encoder: new ShapeRecorder(), text_encoder_2: new ShapeRecorder() };
  for (const component of ['unet', 'vae_encoder', 'vae_decoder', 'text_encoder', 'text_encoder_2'] as const) {
    buildSdxlGraph(component, { configs: SDXL_INPAINT_CONFIGS, weights: recorders, locate: () => 'shapes-only' });
  }
  return recorders;
}

/** transformers ≥ 5 saves CLIPTextModel without the `text_model.` prefix (the table's text_encoder); genfill accepts both. */
const diffusersName = (network: Network, name: string, table: Record<string, number[]>): string =>
  network === 'text_encoder' && !(name in table) ? name.replace(/^text_model\./, '') : name;

/** The shape a single-file key holds for a requested diffusers shape. */
function storedShape(candidate: SingleFileKey, shape: number[]): number[] {
  if (candidate.part) return [shape[0] * candidate.part.of, ...shape.slice(1)];
  if (candidate.transposed) return [...shape].reverse();
  if (candidate.conv1x1) return [...shape, 1, 1];
  return shape;
}

describe('the real SDXL-inpaint UNet graph', () => {
  it("feeds the UNet's input `sample` straight into conv_in (the node the WebGPU conv workaround moves to CPU)", () => {
    for (const compute of ['float32', 'float16'] as const) {
      const unet = buildSdxlGraph('unet', { configs: SDXL_INPAINT_CONFIGS, weights: record(), locate: () => 'shapes-only', compute });
      expect(convNodesFedBy(unet.encode(), 'sample')).toHaveLength(1);
    }
  });
});

describe.skipIf(!haveGolden)('the builder on the real SDXL-inpaint architecture (no weights)', () => {
  const table = haveGolden ? readGoldenJson<ShapeTable>('sdxl-inpaint-shapes.json') : null;
  const recorders = haveGolden ? record() : null;
  const networks: Network[] = ['unet', 'vae', 'text_encoder', 'text_encoder_2'];
  const unet = parseUnetConfig(SDXL_INPAINT_CONFIGS.unet);
  const vae = parseVaeConfig(SDXL_INPAINT_CONFIGS.vae);
  const singleFileKeys: Record<Network, (name: string) => SingleFileKey[]> = {
    unet: (name) => [{ key: unetKey(name, unet) }],
    vae: (name) => [vaeKey(name, vae)],
    text_encoder: textEncoderKeys,
    text_encoder_2: textEncoder2Keys,
  };

  it('counts 2,567,478,084 UNet parameters, and the VAE and both text encoders as diffusers does', () => {
    expect(recorders!.unet.parameterCount).toBe(2_567_478_084);
    for (const network of networks) expect(recorders![network].parameterCount).toBe(table!.parameter_counts[network]);
  });

  it.each(networks)('%s: exactly the diffusers tensor names and shapes', (network) => {
    const expected = table!.diffusers[network];
    const asked = new Map([...recorders![network].requested].map(([name, shape]) => [diffusersName(network, name, expected), shape]));
    expect([...asked.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, shape] of asked) expect(shape, name).toEqual(expected[name]);
  });

  it.each(networks)('%s: exactly the single-file tensor names and stored shapes', (network) => {
    const prefix = { unet: 'model.diffusion_model.', vae: 'first_stage_model.', text_encoder: 'conditioner.embedders.0.', text_encoder_2: 'conditioner.embedders.1.' }[network];
    const expectedKeys = Object.keys(table!.single_file).filter((key) => key.startsWith(prefix));
    const hit = new Set<string>();
    for (const [name, shape] of recorders![network].requested) {
      // Exactly one of the accepted spellings is in the table (e.g. OpenCLIP's text_projection, with or without .weight).
      const found = singleFileKeys[network](name).filter((candidate) => candidate.key in table!.single_file);
      expect(found.map((f) => f.key), name).toHaveLength(1);
      expect(table!.single_file[found[0].key], name).toEqual(storedShape(found[0], shape));
      hit.add(found[0].key);
    }
    expect([...hit].sort()).toEqual(expectedKeys.sort());
  });
});
