import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickWorkingSize, SDXL_BUCKETS } from '../../core/geometry';
import { CLASSIC_MAX_PIXELS, engineDescriptor } from '../../service/engines/descriptors';
import { maskBounds } from '../../core/mask';
import { compositeResult, prepareEngineJob, workingFootprint } from '../../service/jobs/region';
import { labToRgb, rgbToLab } from '../../service/imaging/colour-match';
import { regionJob } from '../../service/jobs/run-inpaint';
import { resizeLanczos } from '../../service/imaging/resize';
import { resolveParams } from '../../service/jobs/params';
import type { CropInputs } from '../../service/jobs/inputs';
import { makeCrop, rawJobForm, startTestService, submit, waitForHealth, waitForJob } from './helpers';

function inputsOf(width: number, height: number): CropInputs {
  const crop = makeCrop(width, height, 4);
  return {
    image: { width, height, channels: 4, data: crop.image },
    mask: { width, height, channels: 1, data: crop.mask },
    warnings: [],
  };
}

const WORKING_SIZE = { sdxl: engineDescriptor('sdxl').workingSize, classic: engineDescriptor('classic').workingSize };

describe('working size per engine', () => {
  const cases = [
    { crop: { width: 512, height: 512 }, sdxl: { width: 1024, height: 1024 } },
    { crop: { width: 3000, height: 1000 }, sdxl: { width: 1536, height: 640 } },
    { crop: { width: 700, height: 1000 }, sdxl: { width: 832, height: 1216 } },
    { crop: { width: 1800, height: 1000 }, sdxl: { width: 1344, height: 768 } },
  ];
  for (const { crop, sdxl } of cases) {
    it(`${crop.width}×${crop.height}: sdxl takes the nearest-aspect bucket, classic the crop itself`, () => {
      expect(WORKING_SIZE.sdxl(crop)).toEqual(sdxl);
      expect(WORKING_SIZE.sdxl(crop)).toEqual(pickWorkingSize(crop));
      expect(SDXL_BUCKETS).toContainEqual(WORKING_SIZE.sdxl(crop));
      if (crop.width * crop.height <= CLASSIC_MAX_PIXELS) expect(WORKING_SIZE.classic(crop)).toEqual(crop);
    });
  }

  it('caps classic at CLASSIC_MAX_PIXELS, keeping the aspect', () => {
    const working = WORKING_SIZE.classic({ width: 4000, height: 2000 });
    expect(working.width * working.height).toBeLessThanOrEqual(CLASSIC_MAX_PIXELS);
    expect(working.width / working.height).toBeCloseTo(2, 2);
  });
});

describe('resampling around the engine', () => {
  it('resizes image (as RGB) and mask (as gray) to the working size, up or down', async () => {
    const params = resolveParams({ prompt: 'x', seed: 4294967295, variations: 2 });
    const up = await prepareEngineJob(regionJob(inputsOf(300, 200), params, 'sdxl'));
    expect([up.width, up.height]).toEqual([1216, 832]);
    expect(up.image.length).toBe(1216 * 832 * 3);
    expect(up.mask.length).toBe(1216 * 832);
    // seed + i wraps within 32 bits
    expect(up.seeds).toEqual([4294967295, 0]);
    const down = await prepareEngineJob(regionJob(inputsOf(1800, 1200), params, 'sdxl'));
    expect([down.width, down.height]).toEqual([1216, 832]);
    // Soft mask values survive the resize (the engine binarises).
    expect(down.mask.some((v) => v > 0 && v < 255)).toBe(true);
  });

  it('hands classic copies at the native size, so the crop buffers stay usable', async () => {
    const inputs = inputsOf(64, 48);
    const job = await prepareEngineJob(regionJob(inputs, resolveParams({ prompt: '' }), 'classic'));
    expect([job.width, job.height]).toEqual([64, 48]);
    expect(job.mask).not.toBe(inputs.mask.data);
    expect(Array.from(job.mask)).toEqual(Array.from(inputs.mask.data));
    // RGB crops at their native size too: the image buffer is copied, not handed over.
    const crop = makeCrop(64, 48, 3);
    const rgb: CropInputs = { ...inputs, image: { width: 64, height: 48, channels: 3, data: crop.image } };
    const rgbJob = await prepareEngineJob(regionJob(rgb, resolveParams({ prompt: '' }), 'classic'));
    expect(rgbJob.image).not.toBe(crop.image);
    expect(Array.from(rgbJob.image)).toEqual(Array.from(crop.image));
  });

  it('brings a working-size result back to the crop size and keeps unmasked bytes exact', async () => {
    const inputs = inputsOf(150, 100);
    const generated = { seed: 1, width: 1216, height: 832, rgb: new Uint8Array(1216 * 832 * 3).fill(9) };
    const result = await compositeResult(generated, inputs, maskBounds(inputs.mask.data, 150, 100)!);
    expect([result.pixels.width, result.pixels.height, result.pixels.channels]).toEqual([150, 100, 4]);
    for (let p = 0; p < 150 * 100; p++) {
      const m = inputs.mask.data[p];
      if (m === 0) expect(Array.from(result.pixels.data.subarray(p * 4, p * 4 + 4))).toEqual(Array.from(inputs.image.data.subarray(p * 4, p * 4 + 4)));
      if (m === 255) expect(Array.from(result.pixels.data.subarray(p * 4, p * 4 + 4))).toEqual([9, 9, 9, 255]);
    }
  });
});

describe('mask bounds and region resampling', () => {
  it('finds the bounds of the non-zero mask pixels', () => {
    const mask = new Uint8Array(10 * 6);
    mask[2 * 10 + 3] = 1;
    mask[4 * 10 + 7] = 200;
    expect(maskBounds(mask, 10, 6)).toEqual({ x: 3, y: 2, width: 5, height: 3 });
    expect(maskBounds(mask, 10, 6, 128)).toEqual({ x: 7, y: 4, width: 1, height: 1 });
    expect(maskBounds(new Uint8Array(60), 10, 6)).toBeNull();
  });

  it('resamples a region exactly as the same region of the whole resize', async () => {
    const source = { width: 40, height: 30, channels: 3 as const, data: Uint8Array.from({ length: 40 * 30 * 3 }, (_, i) => (i * 31) % 251) };
    const size = { width: 97, height: 61 };
    const region = { x: 20, y: 11, width: 33, height: 17 };
    const whole = await resizeLanczos(source, size);
    const part = await resizeLanczos(source, size, region);
    expect([part.width, part.height]).toEqual([33, 17]);
    for (let y = 0; y < region.height; y++) {
      const expected = whole.data.subarray(((region.y + y) * size.width + region.x) * 3, ((region.y + y) * size.width + region.x + region.width) * 3);
      expect(Array.from(part.data.subarray(y * region.width * 3, (y + 1) * region.width * 3))).toEqual(Array.from(expected));
    }
  });
});

describe('the service runs sdxl at the bucket and returns the crop size', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    // The fake engine module offers a ready "sdxl" when a model folder is configured.
    service = await startTestService({ modelDir: '/fake/model' });
  });
  afterAll(async () => {
    await service.close();
  });

  it('auto picks sdxl when it is ready (also for an empty prompt)', async () => {
    await waitForHealth(service.url, (h) => h.defaultEngine === 'sdxl');
    const crop = makeCrop(120, 60, 3);
    const created = await submit(service.url, rawJobForm(crop, { prompt: '', steps: 1, variations: 1 }));
    const final = (await waitForJob(service.url, created.id)).at(-1)!;
    expect(final.engine).toBe('sdxl');
    expect(final.workingSize).toEqual(pickWorkingSize({ width: 120, height: 60 }));
    expect(final.results[0]).toMatchObject({ width: 120, height: 60 });
  });

  it('auto removes with sdxl over a classic prefill for an empty prompt when the client asks to remove', async () => {
    await waitForHealth(service.url, (h) => h.defaultEngine === 'sdxl');
    const crop = makeCrop(120, 60, 3);
    const removing = await submit(service.url, rawJobForm(crop, { prompt: '  ', emptyPrompt: 'remove', steps: 2, variations: 2 }));
    const removed = (await waitForJob(service.url, removing.id)).at(-1)!;
    expect([removed.state, removed.engine, removed.results.length]).toEqual(['succeeded', 'sdxl', 2]);
    // A prompt wins over the remove mode: there is something to paint.
    const painting = await submit(service.url, rawJobForm(crop, { prompt: 'a boat', emptyPrompt: 'remove', steps: 1, variations: 1 }));
    expect((await waitForJob(service.url, painting.id)).at(-1)!.engine).toBe('sdxl');
  });
});

describe('blending switches in the region steps', () => {
  function feathered(width: number, height: number): CropInputs {
    const inputs = inputsOf(width, height);
    // A 24-pixel linear feather on the right of a band.
    const mask = inputs.mask.data;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) mask[y * width + x] = Math.max(0, Math.min(255, Math.round((255 * (60 - x)) / 24)));
    return inputs;
  }

  it('turns soft-edge denoising on for a feathered selection on sdxl, unless the client turns it off', async () => {
    const on = resolveParams({ prompt: 'x' });
    expect((await prepareEngineJob(regionJob(feathered(96, 64), on, 'sdxl'))).softInpainting).toBe(true);
    expect((await prepareEngineJob(regionJob(feathered(96, 64), resolveParams({ prompt: 'x', softInpainting: false }), 'sdxl'))).softInpainting).toBe(false);
    expect((await prepareEngineJob(regionJob(feathered(96, 64), on, 'classic'))).softInpainting).toBe(false);
    // makeCrop's selection is hard: resampling softens its edges at the working size, which must not count.
    expect((await prepareEngineJob(regionJob(inputsOf(96, 64), on, 'sdxl'))).softInpainting).toBe(false);
  });

  it('colour-matches the fill before compositing when asked', async () => {
    const inputs = inputsOf(96, 64);
    const { width, height } = inputs.image;
    const rgb = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.min(255, inputs.image.data[p * 4 + c] + 25);
    const generated = { seed: 1, width, height, rgb };
    const bounds = maskBounds(inputs.mask.data, width, height)!;
    const error = (result: Uint8Array) => {
      let worst = 0;
      for (let p = 0; p < width * height; p++) {
        if (inputs.mask.data[p] !== 255) continue;
        for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(result[p * 4 + c] - inputs.image.data[p * 4 + c]));
      }
      return worst;
    };
    const plain = await compositeResult({ ...generated, rgb: rgb.slice() }, inputs, bounds);
    // The crop is no larger than the working size: matched at the crop size.
    const engineInput = await prepareEngineJob(regionJob(inputs, resolveParams({ prompt: 'x' }), 'classic'));
    const matched = await compositeResult({ ...generated, rgb: rgb.slice() }, inputs, bounds, { colourMatch: engineInput });
    expect(error(plain.pixels.data)).toBeGreaterThanOrEqual(20);
    expect(error(matched.pixels.data)).toBeLessThanOrEqual(3);
  });
});

describe('colour match at the working size, for crops larger than it', () => {
  const crop = { width: 192, height: 128 };
  const working = { width: 96, height: 64 };
  const hole = { x: 48, y: 32, width: 96, height: 64 };

  /** A smooth RGBA picture (it survives resampling down and up nearly unchanged) with a hard rectangular hole. */
  function scene(): CropInputs {
    const { width, height } = crop;
    const image = new Uint8Array(width * height * 4);
    const mask = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = y * width + x;
        image.set([110 + 50 * Math.sin(x / 11), 130 + 40 * Math.cos(y / 9), 90 + 30 * Math.sin((x + y) / 15), 255], p * 4);
        if (x >= hole.x && x < hole.x + hole.width && y >= hole.y && y < hole.y + hole.height) mask[p] = 255;
      }
    }
    return { image: { ...crop, channels: 4, data: image }, mask: { ...crop, channels: 1, data: mask }, warnings: [] };
  }

  /** The engine's input at the working size, and a "generation" that is that input under a known LAB cast. */
  async function engineRun(inputs: CropInputs) {
    const engineJob = await prepareEngineJob({ ...regionJob(inputs, resolveParams({ prompt: 'x' }), 'sdxl'), working });
    const rgb = new Uint8Array(engineJob.image.length);
    const lab = new Float64Array(3);
    for (let p = 0; p < rgb.length; p += 3) {
      rgbToLab(engineJob.image[p], engineJob.image[p + 1], engineJob.image[p + 2], lab);
      labToRgb(lab[0] * 1.15 - 3, lab[1] + 8, lab[2] + 6, rgb, p);
    }
    return { engineJob, generated: { seed: 1, ...working, rgb } };
  }

  /** Mean and worst absolute difference of two RGBA results' colours over the selection. */
  function difference(a: Uint8Array, b: Uint8Array, mask: Uint8Array): { mean: number; worst: number } {
    let [sum, n, worst] = [0, 0, 0];
    for (let p = 0; p < mask.length; p++) {
      if (mask[p] === 0) continue;
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(a[p * 4 + c] - b[p * 4 + c]);
        [sum, n, worst] = [sum + d, n + 1, Math.max(worst, d)];
      }
    }
    return { mean: sum / n, worst };
  }

  it('covers what the enlargement of the selection reads, Lanczos-3 reach included', () => {
    // 2× enlargement: bounds 48..144 → 24..72 at the working size, ±4 (3 taps and the centre's rounding).
    expect(workingFootprint(hole, crop, working)).toEqual({ x: 20, y: 12, width: 56, height: 40 });
    expect(workingFootprint({ x: 0, y: 0, ...crop }, crop, working)).toEqual({ x: 0, y: 0, ...working });
  });

  it('removes a known cast before the enlargement, up to the selection edge', async () => {
    const inputs = scene();
    const bounds = maskBounds(inputs.mask.data, crop.width, crop.height)!;
    const { engineJob, generated } = await engineRun(inputs);
    // Without a cast the round trip through the working size alone: the floor the match can reach.
    const exact = await compositeResult({ ...generated, rgb: engineJob.image.slice() }, inputs, bounds);
    const plain = await compositeResult({ ...generated, rgb: generated.rgb.slice() }, inputs, bounds);
    const rgb = generated.rgb.slice();
    const matched = await compositeResult({ ...generated, rgb }, inputs, bounds, { colourMatch: engineJob });
    // It was matched at the working size: the engine's output itself was corrected.
    expect(rgb).not.toEqual(generated.rgb);
    const original = inputs.image.data;
    const floor = difference(exact.pixels.data, original, inputs.mask.data);
    expect(difference(plain.pixels.data, original, inputs.mask.data).mean).toBeGreaterThan(10);
    const after = difference(matched.pixels.data, original, inputs.mask.data);
    expect(after.mean).toBeLessThan(floor.mean + 1);
    // No uncorrected fringe along the edge: the pixels the enlargement reads outside the selection were corrected too.
    // (Correcting only the masked working pixels leaves a fringe 4 levels over the floor here.)
    expect(after.worst).toBeLessThanOrEqual(floor.worst + 1);
  });

  it('agrees with matching at the crop size within 0.5/255 on average, 2/255 at worst', async () => {
    const inputs = scene();
    const bounds = maskBounds(inputs.mask.data, crop.width, crop.height)!;
    const { engineJob, generated } = await engineRun(inputs);
    const atWorking = await compositeResult({ ...generated, rgb: generated.rgb.slice() }, inputs, bounds, { colourMatch: engineJob });
    // The same generation enlarged first: at the crop size it is matched there, against the crop itself.
    const enlarged = await resizeLanczos({ ...working, channels: 3, data: generated.rgb }, crop);
    const atCrop = await compositeResult({ seed: 1, ...crop, rgb: enlarged.data }, inputs, bounds, { colourMatch: engineJob });
    const { mean, worst } = difference(atWorking.pixels.data, atCrop.pixels.data, inputs.mask.data);
    expect(mean).toBeLessThan(0.5);
    expect(worst).toBeLessThanOrEqual(2);
  });
});
