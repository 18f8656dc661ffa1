// Removal: with SDXL ready, the classic fill prefills the hole and SDXL repaints it at REMOVE_STRENGTH with the
// neutral prompt; without a model the classic fill alone answers. The worker's region run is driven in-process with
// recording engines, which note what each engine got.
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../../core/params';
import type { EngineStatus } from '../../core/protocol';
import type { EngineJob, EngineOutput, EngineProgress, EngineRunContext } from '../../service/engine-io';
import type { Engine } from '../../service/engines/engine';
import { CancelledError } from '../../service/errors';
import { chooseEngine } from '../../service/jobs/engine-choice';
import type { CropInputs } from '../../service/jobs/inputs';
import { resolveParams, type ResolvedParams } from '../../service/jobs/params';
import { inpaintRegion, type RegionOutput } from '../../service/jobs/region';
import { REMOVE_PROMPT, REMOVE_STRENGTH } from '../../service/jobs/remove';
import { regionJob } from '../../service/jobs/run-inpaint';
import { makeCrop } from './helpers';

const ready = (name: EngineName): EngineStatus => ({ name, state: 'ready', model: null, provider: 'cpu', dtype: null, reason: null });
const noModel: EngineStatus = { ...ready('sdxl'), state: 'unavailable', reason: 'no model configured' };

interface Call {
  engine: EngineName;
  job: EngineJob;
  /** A copy of the image as the engine received it. */
  image: Uint8Array;
}

/** Classic fills the hole with (seed, 0, 0); sdxl adds its seed to every byte of what it got, so outputs trace inputs. */
function recordingEngines(statuses: EngineStatus[], cancelDuring?: EngineName): { engines: (name: EngineName) => Engine; calls: Call[] } {
  const calls: Call[] = [];
  const engine = (name: EngineName): Engine => ({
    name,
    status: () => statuses.find((s) => s.name === name)!,
    async dispose() {},
    async run(job: EngineJob, context: EngineRunContext): Promise<EngineOutput> {
      calls.push({ engine: name, job, image: job.image.slice() });
      context.onProgress({ phase: 'denoising', variation: 0, step: 1, steps: 1, preview: { width: 1, height: 1, rgb: new Uint8Array(3) } });
      if (name === cancelDuring) throw new CancelledError();
      const images = job.seeds.map((seed) => {
        const rgb = job.image.slice();
        if (name === 'classic') {
          for (let p = 0; p < job.mask.length; p++) if (job.mask[p] >= 128) rgb.set([seed % 256, 0, 0], p * 3);
        } else {
          for (let i = 0; i < rgb.length; i++) rgb[i] = Math.min(255, rgb[i] + seed);
        }
        return { seed, width: job.width, height: job.height, rgb };
      });
      return { images, warnings: [`${name} ran`] };
    },
  });
  const built = { classic: engine('classic'), sdxl: engine('sdxl') };
  return { engines: (name) => built[name], calls };
}

/** What the engine worker does with a job for `engine`: the region run, with the worker's engines. */
function runInWorker(
  engines: (name: EngineName) => Engine,
  engine: EngineName,
  params: ResolvedParams,
  onProgress: (p: EngineProgress) => void = () => {},
): Promise<RegionOutput> {
  return inpaintRegion(engines, engine, regionJob(inputs(), params, engine), { onProgress, isCancelled: () => false });
}

function inputs(): CropInputs {
  const crop = makeCrop(96, 64, 3);
  return { image: { width: 96, height: 64, channels: 3, data: crop.image }, mask: { width: 96, height: 64, channels: 1, data: crop.mask }, warnings: [] };
}

describe('remove mode', () => {
  const removal = { prompt: ' ', emptyPrompt: 'remove', seed: 10, variations: 3, steps: 20 } as const;

  it('prefills with classic, then repaints with SDXL at the stated strength and the neutral prompt', async () => {
    const statuses = [ready('classic'), ready('sdxl')];
    const params = resolveParams({ ...removal, colorMatch: false });
    const engine = chooseEngine(params, statuses);
    expect(engine).toBe('sdxl');
    const runner = recordingEngines(statuses);
    const progress: string[] = [];
    const outcome = await runInWorker(runner.engines, engine, params, (p) => progress.push(p.phase));

    expect(runner.calls.map((c) => c.engine)).toEqual(['classic', 'sdxl']);
    const [prefill, repaint] = runner.calls;
    expect(prefill.job.seeds).toEqual([10]);
    expect(REMOVE_STRENGTH).toBeGreaterThanOrEqual(0.6);
    expect(REMOVE_STRENGTH).toBeLessThanOrEqual(0.75);
    expect([repaint.job.strength, repaint.job.prompt, repaint.job.steps]).toEqual([REMOVE_STRENGTH, REMOVE_PROMPT, 20]);
    expect(repaint.job.seeds).toEqual([10, 11, 12]);
    // SDXL starts from the prefilled image, with the full mask.
    const filled = prefill.image.slice();
    for (let p = 0; p < prefill.job.mask.length; p++) if (prefill.job.mask[p] >= 128) filled.set([10, 0, 0], p * 3);
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
    expect(same(repaint.image, filled)).toBe(true);
    expect(same(repaint.job.mask, prefill.job.mask)).toBe(true);
    // The prefill reports as preparation; the variations differ; both engines' remarks are kept.
    expect(progress).toEqual(['preparing', 'denoising']);
    expect(new Set(outcome.results.map((r) => r.pixels.data.join(','))).size).toBe(3);
    expect(outcome.warnings).toEqual(['classic ran', 'sdxl ran']);
  });

  it('stays classic alone without a model, and for an explicit engine or a prompt', async () => {
    const params = resolveParams(removal);
    expect(chooseEngine(params, [ready('classic'), noModel])).toBe('classic');
    const runner = recordingEngines([ready('classic'), noModel]);
    await runInWorker(runner.engines, 'classic', params);
    expect(runner.calls.map((c) => [c.engine, c.job.strength])).toEqual([['classic', params.strength]]);
    const both = [ready('classic'), ready('sdxl')];
    expect(chooseEngine(resolveParams({ ...removal, engine: 'classic' }), both)).toBe('classic');
    const prompted = resolveParams({ ...removal, prompt: 'a boat' });
    const promptedRunner = recordingEngines(both);
    await runInWorker(promptedRunner.engines, chooseEngine(prompted, both), prompted);
    expect(promptedRunner.calls.map((c) => [c.engine, c.job.prompt])).toEqual([['sdxl', 'a boat']]);
  });

  it('keeps nothing when cancelled during the prefill', async () => {
    const statuses = [ready('classic'), ready('sdxl')];
    const runner = recordingEngines(statuses, 'classic');
    const error = await runInWorker(runner.engines, 'sdxl', resolveParams(removal)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).finished).toEqual([]);
    expect(runner.calls.map((c) => c.engine)).toEqual(['classic']);
  });
});
