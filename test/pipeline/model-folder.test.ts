import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectModelFolder, loadModelFolder } from '../../service/pipeline/model-folder';
import { tokenizerFilesAvailable } from '../models/tiny-sdxl';
import { removeTinyModels, tinyModel } from './fixtures';

afterAll(removeTinyModels);

describe('inspectModelFolder', () => {
  it.skipIf(!tokenizerFilesAvailable())('accepts a complete export and reads its configs', async () => {
    const model = await tinyModel('external-data');
    const { ok, problems, summary } = await inspectModelFolder(model.dir);
    expect(problems).toEqual([]);
    expect(ok).toBe(true);
    expect(summary).toMatchObject({
      pipelineClass: 'StableDiffusionXLInpaintPipeline',
      forceZerosForEmptyPrompt: true,
      requiresAestheticsScore: false,
      schedulerClass: 'EulerDiscreteScheduler',
      vaeScalingFactor: 0.13025,
      unetInChannels: 9,
    });
    expect(summary.externalData.sort()).toEqual(['text_encoder_2', 'unet']);
  });

  // The count includes no tokenizer problem only when the real vocab/merges were copied in.
  it.skipIf(!tokenizerFilesAvailable())('lists every problem of a broken folder at once', async () => {
    const model = await tinyModel('fp32');
    await rm(join(model.dir, 'unet', 'model.onnx'));
    await rm(join(model.dir, 'tokenizer_2'), { recursive: true });
    await rm(join(model.dir, 'vae_decoder', 'config.json'));
    await rm(join(model.dir, 'vae_encoder', 'config.json'));
    const schedulerPath = join(model.dir, 'scheduler', 'scheduler_config.json');
    const scheduler = JSON.parse(await readFile(schedulerPath, 'utf8')) as Record<string, unknown>;
    await writeFile(schedulerPath, JSON.stringify({ ...scheduler, prediction_type: 'v_prediction' }));
    await writeFile(join(model.dir, 'text_encoder', 'diffusion_pytorch_model.safetensors'), '');
    await rm(join(model.dir, 'text_encoder', 'model.onnx'));

    const { ok, problems } = await inspectModelFolder(model.dir);
    expect(ok).toBe(false);
    const text = problems.join('\n');
    expect(text).toMatch(/unet\/model\.onnx is missing/);
    expect(text).toMatch(/tokenizer_2\/ is missing/);
    expect(text).toMatch(/scaling_factor/);
    expect(text).toMatch(/scheduler_config\.json: .*prediction_type "v_prediction"/);
    expect(text).toMatch(/text_encoder\/model\.onnx is missing \(it holds PyTorch weights/);
    expect(problems.length).toBe(5);

    await expect(loadModelFolder(model.dir)).rejects.toThrow(/cannot be used:\n- .*\n- .*\n- .*\n- .*\n- /);
  });

  it('refuses a 4-channel (text-to-image) UNet with a clear message', async () => {
    const model = await tinyModel('fp32', { fourChannelUnet: true });
    const { problems } = await inspectModelFolder(model.dir);
    expect(problems.join('\n')).toMatch(/unet takes 4 input channels: this is a text-to-image SDXL UNet, not an inpainting one/);
  });

  it('refuses a non-inpainting pipeline and a missing folder', async () => {
    const model = await tinyModel('fp32');
    const indexPath = join(model.dir, 'model_index.json');
    const index = JSON.parse(await readFile(indexPath, 'utf8')) as Record<string, unknown>;
    await writeFile(indexPath, JSON.stringify({ ...index, _class_name: 'StableDiffusionXLPipeline' }));
    expect((await inspectModelFolder(model.dir)).problems.join('\n')).toMatch(/names StableDiffusionXLPipeline, not an inpainting pipeline/);
    expect((await inspectModelFolder(join(model.dir, 'nope'))).problems[0]).toMatch(/does not exist or is not a folder; export the model with `optimum-cli/);
  });

  it('recognises a diffusers (PyTorch) checkpoint', async () => {
    const model = await tinyModel('fp32');
    await rm(join(model.dir, 'vae_encoder'), { recursive: true });
    await rm(join(model.dir, 'vae_decoder'), { recursive: true });
    await mkdir(join(model.dir, 'vae'));
    const { problems } = await inspectModelFolder(model.dir);
    expect(problems.filter((p) => /found vae\/ instead: this is a diffusers \(PyTorch\) folder/.test(p)).length).toBe(2);
  });

  it.skipIf(!tokenizerFilesAvailable())('needs a tokenizer file that names the pad token', async () => {
    const model = await tinyModel('fp32');
    await rm(join(model.dir, 'tokenizer_2', 'special_tokens_map.json'));
    expect((await inspectModelFolder(model.dir)).problems).toEqual([]);
    await rm(join(model.dir, 'tokenizer_2', 'tokenizer_config.json'));
    expect((await inspectModelFolder(model.dir)).problems).toEqual([
      'tokenizer_2/ has neither special_tokens_map.json nor tokenizer_config.json, so its pad token is unknown',
    ]);
  });

  it('reports malformed JSON with the file name', async () => {
    const model = await tinyModel('fp32');
    await writeFile(join(model.dir, 'model_index.json'), '{ not json');
    expect((await inspectModelFolder(model.dir)).problems.join('\n')).toMatch(/model_index\.json is not valid JSON/);
  });
});
