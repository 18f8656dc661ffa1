/**
 * The classic engine behind the engine interface: status, seeds and determinism, progress, cancellation, the mask
 * rule (fill where mask ≥ 128, keep everything else byte for byte) and degenerate inputs.
 */
import { describe, expect, it } from 'vitest';
import { BINARIZE_THRESHOLD } from '../../core/mask';
import { createClassicEngine, DEFAULT_CLASSIC_SETTINGS } from '../../service/engines/classic';
import { VariationPool } from '../../service/engines/classic/variation-pool';
import { CancelledError, EngineError } from '../../service/errors';
import type { EngineProgress } from '../../service/engine-io';
import { channelStats, fill, fillRecordingProgress, makeJob, pixelsWhere, quietContext, samePixels } from './helpers';
import { gradient, noise, rectMask, squareMask, stripes } from './textures';

const SIZE = 96;

describe('classic engine', () => {
  it('reports itself ready on the CPU with the patchmatch algorithm', () => {
    expect(createClassicEngine().status()).toEqual({
      name: 'classic',
      state: 'ready',
      model: 'patchmatch',
      provider: 'cpu',
      dtype: null,
      reason: null,
    });
  });

  it('returns one image per seed, deterministic per seed, different across seeds', async () => {
    const picture = noise(SIZE, SIZE);
    const mask = squareMask(SIZE, SIZE, 32);
    const first = await fill(picture, mask, [5, 6]);
    const again = await fill(picture, mask, [5]);

    expect(first.images.map((i) => [i.seed, i.width, i.height, i.rgb.length])).toEqual([
      [5, SIZE, SIZE, SIZE * SIZE * 3],
      [6, SIZE, SIZE, SIZE * SIZE * 3],
    ]);
    expect(Buffer.from(again.images[0].rgb).equals(Buffer.from(first.images[0].rgb))).toBe(true);
    expect(Buffer.from(first.images[1].rgb).equals(Buffer.from(first.images[0].rgb))).toBe(false);
    const kept = pixelsWhere(mask, false);
    for (const image of first.images) expect(samePixels(image.rgb, picture.rgb, kept)).toBe(true);
  });

  it('reports progress in passes counting iterations over all scales: per variation for one, for the batch for several', async () => {
    const one = await fillRecordingProgress(gradient(SIZE, SIZE), squareMask(SIZE, SIZE, 40), [1]);
    const steps = one[0].steps;
    expect(steps).toBeGreaterThan(1);
    expect(one.every((e) => e.phase === 'denoising' && e.unit === 'pass' && e.steps === steps)).toBe(true);
    expect(one.map(({ variation, step }) => ({ variation, step }))).toEqual(Array.from({ length: steps }, (_, i) => ({ variation: 0, step: i + 1 })));

    // Several variations run in parallel threads: the batch advances by the mean step, never backwards, to the end.
    const batch = await fillRecordingProgress(gradient(SIZE, SIZE), squareMask(SIZE, SIZE, 40), [1, 2, 3]);
    expect(batch.every((e) => e.phase === 'denoising' && e.unit === 'pass' && e.steps === steps && e.variation === null)).toBe(true);
    const reported = batch.map((e) => e.step);
    expect(reported).toEqual([...reported].sort((a, b) => a - b));
    expect(reported.at(-1)).toBe(steps);
    // The mean moves by at most one per message, so every pass 1…steps is reported; a preview that arrives before
    // the mean reaches 1 is reported at step 0 (timing-dependent), hence the filter.
    expect(new Set(reported.filter((s) => s > 0)).size).toBe(steps);
  });

  it('attaches a preview of the whole crop while the levels are small', async () => {
    const events = await fillRecordingProgress(gradient(SIZE, SIZE), squareMask(SIZE, SIZE, 40), [1]);
    const previews = events.flatMap((e) => (e.preview ? [e.preview] : []));

    expect(previews.length).toBeGreaterThan(0);
    for (const preview of previews) {
      expect(preview.width / preview.height).toBeCloseTo(1);
      expect(preview.rgb).toHaveLength(preview.width * preview.height * 3);
    }
    // The last preview is the finest level: the crop at full size.
    expect(previews[previews.length - 1].width).toBe(SIZE);
  });

  it('throws CancelledError once cancelled, and reports no progress after that', async () => {
    const events: EngineProgress[] = [];
    let cancelled = false;
    const run = createClassicEngine().run(makeJob(noise(SIZE, SIZE), squareMask(SIZE, SIZE, 40), [1, 2]), {
      onProgress: (p) => {
        events.push(p);
        cancelled = true;
      },
      isCancelled: () => cancelled,
    });

    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(events).toHaveLength(1);
  });

  it('hands over the variations already filled when cancelled during a later one', async () => {
    // One thread, so the variations run one after another: past half the batch's steps, the first has finished.
    const pool = new VariationPool(1);
    try {
      let past = false;
      const job = { image: noise(SIZE, SIZE).rgb, mask: squareMask(SIZE, SIZE, 40), width: SIZE, height: SIZE, threshold: BINARIZE_THRESHOLD, settings: DEFAULT_CLASSIC_SETTINGS, seeds: [1, 2] };
      const error = await pool
        .run(job, { onProgress: (p) => (past ||= p.step > p.steps / 2), isCancelled: () => past })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as CancelledError).finished.map((image) => [image.seed, image.rgb.length])).toEqual([[1, SIZE * SIZE * 3]]);
    } finally {
      await pool.close();
    }
  });

  /** A pool of `size` stand-in threads (dying-variation-worker.ts), and a 1×1 job for it without seeds. */
  function dyingPool(size: number) {
    const pool = new VariationPool(size, new URL('./dying-variation-worker.ts', import.meta.url));
    const job = { image: new Uint8Array(3), mask: new Uint8Array(1), width: 1, height: 1, threshold: BINARIZE_THRESHOLD, settings: DEFAULT_CLASSIC_SETTINGS };
    return { pool, job };
  }

  it('fails the job when a thread dies, but only after the others finished, and never reuses a dead or busy thread', async () => {
    const { pool, job } = dyingPool(2);
    try {
      // Seed 2's thread answers and exits while seed 1's is still at work; the job waits for that one to stop.
      const error = await pool.run({ ...job, seeds: [1, 2] }, quietContext).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngineError);
      expect((error as Error).message).toMatch(/a fill thread stopped \(exit code 3\)/);
      // Had the job settled at the exit, seed 1's thread would be idle while busy, and its late answer would fail this job.
      const next = await pool.run({ ...job, seeds: [7, 8] }, quietContext);
      expect(next.images.map((image) => [image.seed, ...image.rgb])).toEqual([
        [7, 7],
        [8, 8],
      ]);
    } finally {
      await pool.close();
    }
  });

  it('drops a thread that dies while idle, so the next job gets a live one', async () => {
    const { pool, job } = dyingPool(1);
    try {
      // Seed 2's thread answers, goes back to the pool, and exits there 20 ms later.
      expect((await pool.run({ ...job, seeds: [2] }, quietContext)).images.map((image) => [...image.rgb])).toEqual([[2]]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await pool.run({ ...job, seeds: [7] }, quietContext)).images.map((image) => [...image.rgb])).toEqual([[7]]);
    } finally {
      await pool.close();
    }
  });

  it('polls for cancellation inside a search pass, not only between iterations', async () => {
    // 200² with a 160² hole: the finest search visits ~27 000 target patches, several poll intervals' worth.
    const pollsAtProgress: number[] = [];
    let polls = 0;
    await createClassicEngine().run(makeJob(noise(200, 200), squareMask(200, 200, 160)), {
      onProgress: () => pollsAtProgress.push(polls),
      isCancelled: () => {
        polls++;
        return false;
      },
    });
    const between = pollsAtProgress.slice(1).map((n, i) => n - pollsAtProgress[i]);

    // One poll after the search and one after the progress event per iteration; more means polls inside the loop.
    expect(Math.max(...between)).toBeGreaterThanOrEqual(4);
  });

  it('stops inside the first search pass when cancelled there, before any progress', async () => {
    const events: EngineProgress[] = [];
    let polls = 0;
    const run = createClassicEngine().run(makeJob(noise(200, 200), squareMask(200, 200, 160)), {
      onProgress: (p) => events.push(p),
      // Polls 1 and 2 happen before the fill starts; the third is the first one inside the first search.
      isCancelled: () => ++polls >= 3,
    });

    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(polls).toBe(3);
    expect(events).toHaveLength(0);
  });

  it('does not start when already cancelled', async () => {
    const events: EngineProgress[] = [];
    const run = createClassicEngine().run(makeJob(noise(SIZE, SIZE), squareMask(SIZE, SIZE, 40)), {
      onProgress: (p) => events.push(p),
      isCancelled: () => true,
    });

    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(events).toHaveLength(0);
  });

  it('returns the input unchanged for an empty mask', async () => {
    const picture = stripes(SIZE, SIZE);
    const output = await fill(picture, new Uint8Array(SIZE * SIZE), [3, 4]);

    for (const image of output.images) expect(Buffer.from(image.rgb).equals(Buffer.from(picture.rgb))).toBe(true);
    expect(output.warnings).toEqual([]);
  });

  it('fills where mask ≥ 128 and keeps every pixel below 128 byte for byte', async () => {
    // A red object under the hard part of the mask, with a soft ring of 1…127 around it over the stripes.
    const picture = stripes(SIZE, SIZE);
    const mask = new Uint8Array(SIZE * SIZE);
    const soft = [1, 64, 127];
    for (let ring = 0; ring < soft.length; ring++) {
      const side = 36 - 2 * ring;
      const square = squareMask(SIZE, SIZE, side, soft[ring]);
      for (let p = 0; p < mask.length; p++) if (square[p]) mask[p] = square[p];
    }
    const hard = squareMask(SIZE, SIZE, 30, 128);
    for (let p = 0; p < mask.length; p++) {
      if (!hard[p]) continue;
      mask[p] = 128 + (p % 128);
      picture.rgb.set([255, 0, 0], p * 3);
    }
    const rgb = (await fill(picture, mask)).images[0].rgb;

    expect(samePixels(rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
    const filled = pixelsWhere(mask, true);
    expect(filled).toHaveLength(30 * 30);
    const red = filled.filter((p) => rgb[p * 3] > 200 && rgb[p * 3 + 1] < 60 && rgb[p * 3 + 2] < 60);
    expect(red).toHaveLength(0);
  });

  it('fills a one-pixel hole from its neighbours', async () => {
    const picture = gradient(SIZE, SIZE);
    const p = 40 * SIZE + 50;
    picture.rgb.set([255, 0, 255], p * 3);
    const mask = new Uint8Array(SIZE * SIZE);
    mask[p] = 255;
    const rgb = (await fill(picture, mask)).images[0].rgb;

    expect(samePixels(rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
    const neighbour = p - 1;
    for (let k = 0; k < 3; k++) expect(Math.abs(rgb[p * 3 + k] - rgb[neighbour * 3 + k])).toBeLessThan(60);
  });

  it('fills a hole touching the corner of the crop', async () => {
    const picture = noise(SIZE, SIZE);
    const mask = rectMask(SIZE, SIZE, 0, 0, 30, 20);
    const rgb = (await fill(picture, mask)).images[0].rgb;

    expect(samePixels(rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
    const corner = channelStats(rgb, pixelsWhere(mask, true));
    const rest = channelStats(picture.rgb, pixelsWhere(mask, false));
    for (let k = 0; k < 3; k++) {
      expect(Math.abs(corner.mean[k] - rest.mean[k])).toBeLessThan(10);
      expect(corner.std[k] / rest.std[k]).toBeGreaterThan(0.8);
    }
  });

  it('finishes a mask covering 90% of the crop, copying from the strip left over', async () => {
    const picture = stripes(SIZE, SIZE);
    const left = Math.round(SIZE * 0.1);
    const mask = rectMask(SIZE, SIZE, left, 0, SIZE - left, SIZE);
    const output = await fill(picture, mask);

    expect(samePixels(output.images[0].rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
    expect(output.warnings).toEqual([]);
    // Colours and contrast come from the strip (the stripe layout itself is not recovered from 10 columns).
    const inside = channelStats(output.images[0].rgb, pixelsWhere(mask, true));
    const strip = channelStats(picture.rgb, pixelsWhere(mask, false));
    for (let k = 0; k < 3; k++) {
      expect(Math.abs(inside.mean[k] - strip.mean[k])).toBeLessThan(10);
      expect(inside.std[k] / strip.std[k]).toBeGreaterThan(0.8);
      expect(inside.std[k] / strip.std[k]).toBeLessThan(1.25);
    }
  });

  it('falls back to a smooth fill, with a warning, when no whole patch lies outside the hole', async () => {
    const picture = gradient(SIZE, SIZE);
    const mask = squareMask(SIZE, SIZE, SIZE - 4);
    const output = await fill(picture, mask);
    const rgb = output.images[0].rgb;

    expect(samePixels(rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
    expect(output.warnings.join(' ')).toMatch(/no 7×7 patch outside the hole/);
    // Smooth, not black: the centre takes colours from the border.
    const centre = (SIZE / 2) * SIZE + SIZE / 2;
    expect(rgb[centre * 3] + rgb[centre * 3 + 1] + rgb[centre * 3 + 2]).toBeGreaterThan(100);
  });

  it('returns the input, with a warning, when the mask covers everything', async () => {
    const picture = noise(16, 16);
    const output = await fill(picture, new Uint8Array(16 * 16).fill(255));

    expect(Buffer.from(output.images[0].rgb).equals(Buffer.from(picture.rgb))).toBe(true);
    expect(output.warnings.join(' ')).toMatch(/covers the whole image/);
  });

  it.each([
    [2, 3, 0],
    [2, 3, 5],
    [40, 1, 0],
    [1, 40, 39],
    [40, 2, 79],
    [12, 12, 0],
  ])('handles a %i×%i crop with pixel %i masked at its edge or corner', async (width, height, masked) => {
    const picture = noise(width, height);
    const mask = new Uint8Array(width * height);
    mask[masked] = 255;
    const output = await fill(picture, mask);
    const rgb = output.images[0].rgb;

    expect(rgb).toHaveLength(width * height * 3);
    expect(samePixels(rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
    // The filled pixel's colour comes from the crop: within the range of the kept pixels, channel by channel.
    const kept = pixelsWhere(mask, false);
    for (let k = 0; k < 3; k++) {
      const values = kept.map((p) => picture.rgb[p * 3 + k]);
      expect(rgb[masked * 3 + k]).toBeGreaterThanOrEqual(Math.min(...values));
      expect(rgb[masked * 3 + k]).toBeLessThanOrEqual(Math.max(...values));
    }
  });

  it.each([
    [1, 1],
    [3, 2],
    [1, 40],
    [9, 9],
  ])('handles a %i×%i crop', async (width, height) => {
    const picture = noise(width, height);
    const mask = new Uint8Array(width * height);
    mask[Math.floor(mask.length / 2)] = 255;
    const output = await fill(picture, mask);

    expect(output.images[0].rgb).toHaveLength(width * height * 3);
    expect(samePixels(output.images[0].rgb, picture.rgb, pixelsWhere(mask, false))).toBe(true);
  });

  it('rejects buffers that do not match the size, saying which', async () => {
    const engine = createClassicEngine();
    const job = makeJob(noise(8, 8), new Uint8Array(10));

    await expect(engine.run(job, quietContext)).rejects.toThrow(EngineError);
    await expect(engine.run(job, quietContext)).rejects.toThrow(/mask has 10 bytes, expected 8·8 = 64/);
    await expect(engine.run({ ...job, mask: new Uint8Array(64), seeds: [] }, quietContext)).rejects.toThrow(/no seeds/);
  });
});
