import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createOrtRuntime } from '../../service/runtime/ort-runtime';
import type { Runtime } from '../../service/runtime/runtime';
import { ModelSession, outputAsFloat32 } from '../../service/runtime/session';
import { removeTinyModels, tinyModel } from './fixtures';

afterAll(removeTinyModels);

const runtime = createOrtRuntime();

/** The real runtime whose sessions fail their next runs with `failures`, one each, then work again. */
function failingRuns(failures: Error[]): Runtime {
  return {
    availableProviders: () => runtime.availableProviders(),
    async createSession(model, request) {
      const session = await runtime.createSession(model, request);
      return {
        inputs: session.inputs,
        outputs: session.outputs,
        run: (feeds, fetch) => {
          const failure = failures.shift();
          return failure ? Promise.reject(failure) : session.run(feeds, fetch);
        },
        release: () => session.release(),
      };
    },
  };
}

describe('ModelSession', () => {
  it('reads declared types from metadata and casts feeds to them (fp16 graph)', async () => {
    const model = await tinyModel('fp16');
    const session = await ModelSession.create(runtime, join(model.dir, 'vae_decoder', 'model.onnx'), { provider: 'cpu', label: 'vae_decoder' });
    try {
      expect(session.input('latent_sample')).toMatchObject({ type: 'float16' });
      const feed = session.createFeed('latent_sample', [1, 4, 2, 2]);
      expect(feed.tensor.type).toBe('float16');
      feed.set(new Float32Array(16).fill(0.5));
      const result = await session.run({ latent_sample: feed }, ['sample']);
      expect(result.sample.type).toBe('float16');
      const pixels = outputAsFloat32(result.sample, 'vae_decoder');
      expect(pixels.length).toBe(3 * 16 * 16);
      expect(pixels.every(Number.isFinite)).toBe(true);
    } finally {
      await session.release();
    }
  });

  it('explains shape, name and output mistakes in words', async () => {
    const model = await tinyModel('legacy');
    const unet = await ModelSession.create(runtime, join(model.dir, 'unet', 'model.onnx'), { provider: 'cpu', label: 'unet' });
    try {
      expect(unet.input('timestep')).toMatchObject({ type: 'int64', shape: ['steps'] });
      expect(() => unet.createFeed('sample', [1, 4, 8, 8])).toThrow(/unet: input "sample" expects shape \[batch_size, 9, height, width\], the pipeline built \[1, 4, 8, 8\]/);
      expect(() => unet.createFeed('timestep', [])).toThrow(/expects shape \[steps\]/);
      expect(() => unet.input('latent')).toThrow(/unet: the graph has no input "latent" \(it has sample, timestep/);
      const sample = unet.createFeed('sample', [1, 9, 8, 8]);
      await expect(unet.run({ sample })).rejects.toThrow(/feeds do not match the graph's inputs \(missing timestep, encoder_hidden_states, text_embeds, time_ids\)/);
    } finally {
      await unet.release();
    }
  });

  it('explains a failed run: what was fed, on which provider, and what to do when memory ran out', async () => {
    const model = await tinyModel('fp32');
    const failures = [new Error('Failed to allocate memory for requested buffer of size 1073741824'), new Error('Non-zero status code returned while running Conv node')];
    const decoder = await ModelSession.create(failingRuns(failures), join(model.dir, 'vae_decoder', 'model.onnx'), { provider: 'cpu', label: 'vae_decoder' });
    try {
      const feed = decoder.createFeed('latent_sample', [1, 4, 2, 2]);
      await expect(decoder.run({ latent_sample: feed }, ['sample'])).rejects.toThrow(
        /vae_decoder failed on cpu \(inputs latent_sample float32\[1, 4, 2, 2\]\): Failed to allocate memory.*ran out of memory: run variations one at a time/,
      );
      const other = decoder.run({ latent_sample: feed }, ['sample']);
      await expect(other).rejects.toThrow(/vae_decoder failed on cpu .*: Non-zero status code returned while running Conv node\.$/);
      // The next run, without the injected failure, works: the session is still usable.
      expect((await decoder.run({ latent_sample: feed }, ['sample'])).sample.dims).toEqual([1, 3, 16, 16]);
    } finally {
      await decoder.release();
    }
  });

  it('reports a file onnxruntime cannot load with its path', async () => {
    await expect(ModelSession.create(runtime, '/nonexistent/model.onnx', { provider: 'cpu', label: 'unet' })).rejects.toThrow(
      /unet: onnxruntime could not load \/nonexistent\/model\.onnx/,
    );
  });
});

describe('ModelSession.create with a graph it refuses', () => {
  it('releases the session it opened before throwing', async () => {
    let released = 0;
    const refused: Runtime = {
      availableProviders: () => ['cpu'],
      createSession: async () => ({
        inputs: [{ name: 'sample', type: '', shape: [] }],
        outputs: [],
        run: () => Promise.reject(new Error('not reached')),
        release: async () => {
          released++;
        },
      }),
    };
    await expect(ModelSession.create(refused, 'unet/model.onnx', { provider: 'cpu', label: 'unet' })).rejects.toThrow(/unet: input "sample" is not a tensor/);
    expect(released).toBe(1);
  });
});
