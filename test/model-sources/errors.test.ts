// Bad model sources: one clear error naming the file and the tensor (or config key), and nothing left in the cache.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveModelSource } from '../../service/models/model-source';
import { readSafetensors } from '../../service/models/safetensors';
import { GOLDEN_DIFFUSERS, GOLDEN_SINGLE_FILE, GOLDEN_SKIP_MESSAGE, haveGolden } from '../graphs/golden';
import { tempDirs } from '../graphs/temp-dirs';
import { linkedDiffusersCopy, replaceFile, rewriteSafetensors, writeSafetensors, zeros } from './safetensors-files';

if (!haveGolden) console.warn(GOLDEN_SKIP_MESSAGE);
const temp = tempDirs('genfill-bad-model');

/** Resolves `source` into a fresh cache, expects the error, and checks the cache holds no folder at all. */
async function expectRefused(source: string, message: RegExp, options: { configFrom?: string } = {}): Promise<void> {
  const cacheDir = temp();
  await expect(resolveModelSource(source, { cacheDir, ...options })).rejects.toThrow(message);
  const graphs = join(cacheDir, 'graphs');
  expect(existsSync(graphs) ? readdirSync(graphs) : []).toEqual([]);
}

/** Just enough keys to be recognised as an SDXL single file. */
const SDXL_MINIMAL = {
  'conditioner.embedders.1.model.token_embedding.weight': [4, 2],
  'first_stage_model.quant_conv.bias': [8],
};

describe('safetensors files that are damaged', () => {
  it('header length past the end of the file', async () => {
    const path = join(temp(), 'truncated.safetensors');
    writeFileSync(path, readFileSync(haveGolden ? GOLDEN_SINGLE_FILE : process.execPath).subarray(0, 1000));
    await expectRefused(path, /truncated\.safetensors: header length \d+ runs past the end of the file \(1000 bytes; truncated download\?\)/);
  });

  it('a tensor whose offsets lie outside the data', async () => {
    const path = join(temp(), 'short.safetensors');
    writeSafetensors(path, { 'model.diffusion_model.input_blocks.0.0.weight': { dtype: 'F16', shape: [8, 9, 3, 3], data_offsets: [0, 1296] } }, 100);
    await expectRefused(path, /short\.safetensors: tensor model\.diffusion_model\.input_blocks\.0\.0\.weight: data_offsets \[0, 1296\] lie outside the file's 100 data bytes/);
  });

  it('an unknown dtype', async () => {
    const path = join(temp(), 'odd.safetensors');
    writeSafetensors(path, { 'first_stage_model.quant_conv.bias': { dtype: 'F13', shape: [8], data_offsets: [0, 16] } });
    await expectRefused(path, /odd\.safetensors: tensor first_stage_model\.quant_conv\.bias has an unknown dtype "F13"/);
  });

  it('bytes that do not match the shape', () => {
    const path = join(temp(), 'size.safetensors');
    writeSafetensors(path, { x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } });
    expect(() => readSafetensors(path)).toThrow(/size\.safetensors: tensor x: 8 bytes do not hold a F32 tensor of shape \[3\]/);
  });

  it('a header that is not JSON', () => {
    const path = join(temp(), 'garbage.safetensors');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(4n);
    writeFileSync(path, Buffer.concat([length, Buffer.from('{{{{')]));
    expect(() => readSafetensors(path)).toThrow(/garbage\.safetensors: header is not valid JSON/);
  });
});

describe('checkpoints that are not SDXL inpainting', () => {
  it('a 4-channel (text-to-image) SDXL single file', async () => {
    const path = join(temp(), 'sdxl-base.safetensors');
    writeSafetensors(path, zeros({ 'model.diffusion_model.input_blocks.0.0.weight': [8, 4, 3, 3], ...SDXL_MINIMAL }));
    await expectRefused(path, /sdxl-base\.safetensors \(tensor model\.diffusion_model\.input_blocks\.0\.0\.weight\): the UNet takes 4 input channels: this is a text-to-image SDXL model, not an inpainting one/);
  });

  it('an SD 1.5 checkpoint', async () => {
    const path = join(temp(), 'sd15.safetensors');
    writeSafetensors(path, zeros({ 'model.diffusion_model.input_blocks.0.0.weight': [8, 9, 3, 3], 'cond_stage_model.transformer.text_model.final_layer_norm.weight': [4] }));
    await expectRefused(path, /sd15\.safetensors: this is a Stable Diffusion 1\.x\/2\.x checkpoint/);
  });

  it('a Flux checkpoint', async () => {
    const path = join(temp(), 'flux.safetensors');
    writeSafetensors(path, zeros({ 'double_blocks.0.img_attn.qkv.weight': [6, 2] }, 'BF16'));
    await expectRefused(path, /flux\.safetensors: this is a Flux checkpoint/);
  });

  it('an unknown checkpoint', async () => {
    const path = join(temp(), 'other.safetensors');
    writeSafetensors(path, zeros({ 'encoder.layer.0.weight': [2, 2] }));
    await expectRefused(path, /other\.safetensors: not an SDXL checkpoint in the original single-file layout .*found encoder\.layer\.0\.weight/);
  });

  it.skipIf(!haveGolden)('a diffusers folder with a 4-channel UNet', async () => {
    const dir = join(temp(), 'base');
    linkedDiffusersCopy(GOLDEN_DIFFUSERS, dir, (target) => {
      const config = JSON.parse(readFileSync(join(GOLDEN_DIFFUSERS, 'unet', 'config.json'), 'utf8')) as Record<string, unknown>;
      replaceFile(join(target, 'unet', 'config.json'), JSON.stringify({ ...config, in_channels: 4 }));
    });
    await expectRefused(dir, /base\/unet\/config\.json: the UNet takes 4 input channels: this is a text-to-image SDXL model/);
  });
});

describe.skipIf(!haveGolden)('weights that do not match what the configuration builds', () => {
  it('a weight stored as I8 (quantised)', async () => {
    const path = join(temp(), 'int8.safetensors');
    rewriteSafetensors(GOLDEN_SINGLE_FILE, path, (header) => {
      (header['model.diffusion_model.out.2.bias'] as { dtype: string }).dtype = 'I8';
    });
    await expectRefused(path, /int8\.safetensors: tensor model\.diffusion_model\.out\.2\.bias is I8; genfill runs F32, F16 or BF16 weights/, { configFrom: GOLDEN_DIFFUSERS });
  });

  it('a missing tensor', async () => {
    const path = join(temp(), 'missing.safetensors');
    rewriteSafetensors(GOLDEN_SINGLE_FILE, path, (header) => delete header['model.diffusion_model.out.2.weight']);
    await expectRefused(path, /missing\.safetensors: tensor model\.diffusion_model\.out\.2\.weight is missing \(needed for conv_out\.weight\)/, { configFrom: GOLDEN_DIFFUSERS });
  });

  it('a tensor of another shape', async () => {
    const path = join(temp(), 'reshaped.safetensors');
    rewriteSafetensors(GOLDEN_SINGLE_FILE, path, (header) => {
      const entry = header['model.diffusion_model.time_embed.0.weight'] as { shape: number[] };
      entry.shape = [...entry.shape].reverse();
    });
    await expectRefused(path, /reshaped\.safetensors: tensor model\.diffusion_model\.time_embed\.0\.weight has shape \[32, 128\] where .*diffusers\/unet\/config\.json implies \[128, 32\]/, {
      configFrom: GOLDEN_DIFFUSERS,
    });
  });

  it('a single file of another size than the SDXL-inpaint configs it defaults to', async () => {
    await expectRefused(GOLDEN_SINGLE_FILE, /single-file\/model\.safetensors: tensor \S+ has shape \[[\d, ]+\] where the SDXL inpainting .* config implies \[[\d, ]+\]: the configuration does not match these weights \(for a single file, pass --config-from/);
  });

  it('a diffusers config that disagrees with its weights', async () => {
    const dir = join(temp(), 'edited');
    linkedDiffusersCopy(GOLDEN_DIFFUSERS, dir, (target) => {
      const config = JSON.parse(readFileSync(join(GOLDEN_DIFFUSERS, 'unet', 'config.json'), 'utf8')) as Record<string, unknown>;
      replaceFile(join(target, 'unet', 'config.json'), JSON.stringify({ ...config, cross_attention_dim: 48 }));
    });
    await expectRefused(dir, /edited\/unet\/diffusion_pytorch_model\.safetensors: tensor down_blocks\.1\.attentions\.0\.transformer_blocks\.0\.attn2\.to_k\.weight has shape \[48, 40\] where .*edited\/unet\/config\.json implies \[48, 48\]/);
  });

  it('a diffusers folder with only .bin weights', async () => {
    const dir = join(temp(), 'pickles');
    linkedDiffusersCopy(GOLDEN_DIFFUSERS, dir, (target) => {
      for (const file of readdirSync(join(target, 'vae'))) if (file.endsWith('.safetensors')) rmSync(join(target, 'vae', file));
      mkdirSync(join(target, 'vae'), { recursive: true });
      writeFileSync(join(target, 'vae', 'diffusion_pytorch_model.bin'), 'not read');
    });
    await expectRefused(dir, /pickles\/vae: no diffusion_pytorch_model\.safetensors .*only PyTorch \.bin weights/);
  });
});
