// Thumbnails made with each result in the engine worker (service/jobs/result-thumbnail.ts): their size, how close they
// come to the thumbnail the lazy path encodes from the full result, and that the HTTP side serves them as they are.
// The region run is driven in-process with fake engines that paint a cast, textured fill at the working size.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import type { Size } from '../../core/geometry';
import type { EngineName } from '../../core/params';
import { ROUTES, THUMBNAIL_MAX_SIDE, type EngineStatus } from '../../core/protocol';
import type { EngineImage, EngineJob, EngineOutput } from '../../service/engine-io';
import type { Engine } from '../../service/engines/engine';
import { createApp } from '../../service/http/app';
import { encodeForDisplay } from '../../service/imaging/codec';
import { isOpaque, type Pixels } from '../../service/imaging/pixels';
import type { CropInputs } from '../../service/jobs/inputs';
import type { Job } from '../../service/jobs/job';
import { resolveParams } from '../../service/jobs/params';
import { JobQueue } from '../../service/jobs/queue';
import { inpaintRegion, type RegionJob, type RegionOutput } from '../../service/jobs/region';
import { thumbnailSize } from '../../service/jobs/result-thumbnail';
import { regionJob } from '../../service/jobs/run-inpaint';
import { silentLogger } from '../../service/log';
import type { EngineRunner, RunOptions } from '../../service/worker/engine-host';

/** What the lazy path makes (encodeForDisplay's size rule), read from the JPEG it encodes. */
async function sharpThumbnailSize(size: Size): Promise<Size> {
  const pixels: Pixels = { ...size, channels: 3, data: new Uint8Array(size.width * size.height * 3) };
  const { width, height } = await sharp(await encodeForDisplay(pixels, 'jpeg', THUMBNAIL_MAX_SIDE)).metadata();
  return { width: width!, height: height! };
}

describe('thumbnail size', () => {
  it('is what encodeForDisplay makes for maxSide: longest side 256, aspect kept, never enlarged', async () => {
    const cases: [Size, Size][] = [
      [{ width: 2048, height: 2048 }, { width: 256, height: 256 }],
      [{ width: 3000, height: 1000 }, { width: 256, height: 85 }],
      [{ width: 700, height: 1800 }, { width: 100, height: 256 }],
      [{ width: 200, height: 120 }, { width: 200, height: 120 }],
      [{ width: 256, height: 40 }, { width: 256, height: 40 }],
      [{ width: 257, height: 1 }, { width: 256, height: 1 }],
      [{ width: 3, height: 5000 }, { width: 1, height: 256 }],
    ];
    for (const [crop, expected] of cases) {
      expect(thumbnailSize(crop)).toEqual(expected);
      expect(await sharpThumbnailSize(crop)).toEqual(expected);
    }
    // A spread of sizes, odd ones included: the same rounding as libvips.
    for (let i = 1; i < 40; i++) {
      const crop = { width: 1 + ((i * 977) % 3001), height: 1 + ((i * 613) % 2003) };
      expect(thumbnailSize(crop)).toEqual(await sharpThumbnailSize(crop));
    }
  });
});

describe('isOpaque', () => {
  it('is true for RGB and for RGBA whose every alpha is 255, wherever the one that is not lies', () => {
    const pixels = 40_000; // past one block of the word-wise check
    const rgba = (offset: number) => {
      const data = new Uint8Array(offset + pixels * 4).subarray(offset);
      for (let p = 0; p < pixels; p++) data.set([p % 256, 0, 255, 255], p * 4);
      return { width: pixels, height: 1, channels: 4 as const, data };
    };
    for (const offset of [0, 1, 4]) {
      const image = rgba(offset);
      expect(isOpaque(image)).toBe(true);
      for (const p of [0, 16_383, 16_384, pixels - 1]) {
        image.data[p * 4 + 3] = 254;
        expect(isOpaque(image)).toBe(false);
        image.data[p * 4 + 3] = 255;
      }
      // Colour bytes of 0 never count as transparency.
      expect(isOpaque(image)).toBe(true);
    }
    expect(isOpaque({ width: 10, height: 1, channels: 3, data: new Uint8Array(30) })).toBe(true);
  });
});

/**
 * A picture with detail at every scale, amplitude falling with frequency as in photographs (sinusoids of 4–170 px
 * periods), and a hard-edged hole feathered on its right.
 */
function scene(width: number, height: number, alpha?: (x: number, y: number) => number): CropInputs {
  const channels = alpha ? 4 : 3;
  const image = new Uint8Array(width * height * channels);
  const mask = new Uint8Array(width * height);
  const [x0, x1, y0, y1] = [width * 0.3, width * 0.65, height * 0.25, height * 0.7];
  const feather = Math.max(4, width * 0.05);
  // Separable: per period a row and a column table, so a 2 Mpx scene costs milliseconds.
  const periods = [4, 7, 13, 24, 45, 90, 170];
  const across = periods.map((period) => Float64Array.from({ length: width }, (_, x) => (period / 8) * Math.sin((2 * Math.PI * x) / period + period)));
  const down = periods.map((period) => Float64Array.from({ length: height }, (_, y) => Math.cos((2 * Math.PI * y) / (period * 1.3))));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const u = x / width;
      const v = y / height;
      let detail = 0;
      for (let k = 0; k < periods.length; k++) detail += across[k][x] * down[k][y];
      image[p * channels] = 120 + 50 * Math.sin(u * 9) + detail;
      image[p * channels + 1] = 110 + 40 * Math.cos(v * 7) + detail * 0.8;
      image[p * channels + 2] = 100 + 40 * Math.sin((u + v) * 11) - detail * 0.6;
      if (alpha) image[p * channels + 3] = alpha(x, y);
      const inY = y >= y0 && y < y1;
      if (inY && x >= x0 && x < x1) mask[p] = 255;
      else if (inY && x >= x1 && x < x1 + feather) mask[p] = Math.round(255 * (1 - (x - x1) / feather));
    }
  }
  return { image: { width, height, channels, data: image }, mask: { width, height, channels: 1, data: mask }, warnings: [] };
}

/** Fake engines: each variation paints the engine's input under a colour cast (its seed's) plus a texture. */
function paintingEngines(): (name: EngineName) => Engine {
  const engine = (name: EngineName): Engine => ({
    name,
    status: (): EngineStatus => ({ name, state: 'ready', model: `fake-${name}`, provider: 'cpu', dtype: null, reason: null }),
    async dispose() {},
    async run(job: EngineJob): Promise<EngineOutput> {
      const images = job.seeds.map((seed): EngineImage => {
        const rgb = new Uint8Array(job.image.length);
        for (let p = 0, i = 0; p < job.width * job.height; p++, i += 3) {
          const x = p % job.width;
          const y = Math.floor(p / job.width);
          const texture = 25 * Math.sin(x / 5 + seed) * Math.cos(y / 7);
          rgb[i] = Math.min(255, Math.max(0, job.image[i] * 0.8 + 40 + texture));
          rgb[i + 1] = Math.min(255, Math.max(0, job.image[i + 1] * 0.9 + 10 * seed));
          rgb[i + 2] = Math.min(255, Math.max(0, job.image[i + 2] - 30 - texture));
        }
        return { seed, width: job.width, height: job.height, rgb };
      });
      return { images, warnings: [] };
    },
  });
  const built = { sdxl: engine('sdxl'), classic: engine('classic') };
  return (name) => built[name];
}

function jobFor(inputs: CropInputs, engine: EngineName, variations = 2, colorMatch = true): RegionJob {
  return regionJob(inputs, resolveParams({ prompt: 'a texture', variations, seed: 3, colorMatch }), engine);
}

function run(job: RegionJob, engine: EngineName): Promise<RegionOutput> {
  return inpaintRegion(paintingEngines(), engine, job, { onProgress: () => {}, isCancelled: () => false });
}

async function decoded(jpeg: Uint8Array): Promise<Pixels> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels as 3, data: new Uint8Array(data) };
}

/**
 * How far apart two decoded thumbnails are: the mean absolute difference per channel (the worst channel's), and the
 * 99th percentile of all values' differences, which a region shown differently (a part of the fill) would raise.
 */
function difference(a: Pixels, b: Pixels): { mean: number; p99: number } {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  const sums = [0, 0, 0];
  const counts = new Uint32Array(256);
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    sums[i % 3] += d;
    counts[d]++;
  }
  let p99 = 0;
  for (let seen = 0; seen < a.data.length * 0.99; p99++) seen += counts[p99];
  return { mean: Math.max(...sums) / (a.width * a.height), p99: p99 - 1 };
}

/** The thumbnail the lazy path encodes from the full-size result. */
async function lazyThumbnail(result: Pixels): Promise<Pixels> {
  return decoded(await encodeForDisplay(result, 'jpeg', THUMBNAIL_MAX_SIDE));
}

/**
 * Agreement with the lazy thumbnail, in levels of 255. Measured on these scenes: mean per channel 1.1–1.6 (0.3–0.6
 * before JPEG: most of it is the two encodes), 99th percentile 5–6, worst single value 13–20 (JPEG ringing).
 */
const BOUND = { mean: 3, p99: 12 };

describe('thumbnails made with the results', () => {
  const crops: { name: string; engine: EngineName; size: Size; fromWorking: boolean }[] = [
    { name: 'square, larger than the working size', engine: 'sdxl', size: { width: 1400, height: 1400 }, fromWorking: true },
    { name: 'wide, larger than the working size', engine: 'sdxl', size: { width: 2000, height: 800 }, fromWorking: true },
    { name: 'tall, larger than the working size', engine: 'sdxl', size: { width: 700, height: 1800 }, fromWorking: true },
    { name: 'wide, smaller than the working size', engine: 'sdxl', size: { width: 500, height: 300 }, fromWorking: false },
    { name: 'smaller than a thumbnail (never enlarged), classic', engine: 'classic', size: { width: 200, height: 120 }, fromWorking: false },
    { name: 'larger than classic’s working size', engine: 'classic', size: { width: 1600, height: 1200 }, fromWorking: true },
  ];
  const measured: string[] = [];
  afterEach(() => {
    if (measured.length) console.log(measured.splice(0).join('\n'));
  });

  for (const { name, engine, size, fromWorking } of crops) {
    it(`${engine}, ${size.width}×${size.height} (${name}): the right size, close to the lazy thumbnail`, async () => {
      const job = jobFor(scene(size.width, size.height), engine);
      expect(job.working.width * job.working.height < size.width * size.height).toBe(fromWorking);
      const output = await run(job, engine);
      expect(output.results).toHaveLength(2);
      for (const result of output.results) {
        expect(result.thumbnail).toBeInstanceOf(Uint8Array);
        const thumbnail = await decoded(result.thumbnail!);
        expect({ width: thumbnail.width, height: thumbnail.height }).toEqual(thumbnailSize(size));
        expect(thumbnail.width / thumbnail.height).toBeCloseTo(size.width / size.height, 1);
        const lazy = await lazyThumbnail(result.pixels);
        const { mean, p99 } = difference(thumbnail, lazy);
        measured.push(`${engine} ${size.width}×${size.height} seed ${result.seed}: |Δ| mean ${mean.toFixed(3)} per channel, p99 ${p99}`);
        if (fromWorking) {
          expect(mean).toBeLessThanOrEqual(BOUND.mean);
          expect(p99).toBeLessThanOrEqual(BOUND.p99);
        }
        // From the result itself: the lazy path's own bytes.
        else expect(Buffer.compare(result.thumbnail!, await encodeForDisplay(result.pixels, 'jpeg', THUMBNAIL_MAX_SIDE))).toBe(0);
      }
      // The variations differ and so do their thumbnails.
      expect(Buffer.compare(output.results[0].thumbnail!, output.results[1].thumbnail!)).not.toBe(0);
    });
  }

  it('shows the colour-matched fill: without the match the bound would not hold', async () => {
    const inputs = scene(1400, 1400);
    const matched = await run(jobFor(inputs, 'sdxl', 1), 'sdxl');
    const plain = await run(jobFor(scene(1400, 1400), 'sdxl', 1, false), 'sdxl');
    const thumbnail = await decoded(matched.results[0].thumbnail!);
    expect(difference(thumbnail, await lazyThumbnail(matched.results[0].pixels)).mean).toBeLessThanOrEqual(BOUND.mean);
    const unmatched = difference(thumbnail, await lazyThumbnail(plain.results[0].pixels));
    // The cast shows only in the hole, a sixth of the thumbnail, and there far beyond the bounds (measured: mean 5.9,
    // p99 35).
    expect(unmatched.mean).toBeGreaterThan(BOUND.mean + 1);
    expect(unmatched.p99).toBeGreaterThan(2 * BOUND.p99);
  });

  it('an opaque RGBA crop takes the working-size path; one with transparency is left to the lazy path', async () => {
    const opaque = await run(jobFor(scene(1400, 1400, () => 255), 'sdxl', 1), 'sdxl');
    const thumbnail = await decoded(opaque.results[0].thumbnail!);
    expect(difference(thumbnail, await lazyThumbnail(opaque.results[0].pixels)).mean).toBeLessThanOrEqual(BOUND.mean);

    // Transparent on the left: the result keeps that alpha, the thumbnail must flatten it onto white.
    const transparent = await run(jobFor(scene(1400, 1400, (x) => (x < 300 ? 0 : 255)), 'sdxl', 1), 'sdxl');
    expect(transparent.results[0].thumbnail).toBeUndefined();
    // A small transparent crop: its result is small, so its thumbnail is made from it, flattened onto white.
    const small = await run(jobFor(scene(400, 300, (x) => (x < 50 ? 0 : 255)), 'sdxl', 1), 'sdxl');
    const smallThumbnail = await decoded(small.results[0].thumbnail!);
    expect(Array.from(smallThumbnail.data.subarray(0, 3)).every((v) => v >= 250)).toBe(true);
  });
});

/** The worker's region run, in-process, behind the queue and the HTTP routes. */
class InProcessRunner implements EngineRunner {
  readonly #engines = paintingEngines();
  engineStatuses(): EngineStatus[] {
    return [this.#engines('sdxl').status(), this.#engines('classic').status()];
  }
  workerStatus() {
    return { state: 'running' as const, restarts: 0, lastCrash: null };
  }
  run(engine: EngineName, job: RegionJob, options: RunOptions): Promise<RegionOutput> {
    return inpaintRegion(this.#engines, engine, job, { onProgress: options.onProgress, isCancelled: () => options.cancel.cancelled });
  }
  async close(): Promise<void> {}
}

describe('serving thumbnails', () => {
  let server: Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = null;
  });

  async function serve() {
    const encoded: string[] = [];
    const encode = (pixels: Pixels, format: 'png' | 'jpeg', maxSide?: number): Promise<Buffer> => {
      encoded.push(`${format}/${maxSide ?? 'full'}`);
      return encodeForDisplay(pixels, format, maxSide);
    };
    const runner = new InProcessRunner();
    const queue = new JobQueue({ runner, capacity: 4, retentionSeconds: 60, retainedBytes: 2 ** 30, log: silentLogger });
    const app = createApp({ queue, runner, log: silentLogger, version: 'test', bindHost: '127.0.0.1', allowedHosts: [], corsOrigins: [], token: null, encode });
    server = createServer(app);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const finished = async (inputs: CropInputs, variations: number): Promise<Job> => {
      const job = queue.get(queue.submit(resolveParams({ prompt: 'x', variations, seed: 1 }), 'sdxl', inputs).id)!;
      while (!job.terminal) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(job.state).toBe('succeeded');
      return job;
    };
    const fetchBytes = async (path: string) => {
      const response = await fetch(url + path);
      expect(response.status).toBe(200);
      return new Uint8Array(await response.arrayBuffer());
    };
    return { queue, encoded, finished, fetchBytes };
  }

  it('serves the thumbnail made with each result without encoding, counted in the retained bytes', async () => {
    const { queue, encoded, finished, fetchBytes } = await serve();
    const job = await finished(scene(1400, 1000), 3);
    const thumbnails = job.results.map((r) => r.thumbnail!);
    const thumbnailBytes = thumbnails.reduce((sum, t) => sum + t.byteLength, 0);
    expect(thumbnailBytes).toBeGreaterThan(0);
    expect(job.resultBytes).toBe(job.results.reduce((sum, r) => sum + r.pixels.data.byteLength, 0) + thumbnailBytes);
    const before = queue.retainedBytes;
    expect(before).toBe(job.retainedBytes);

    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3; i++) {
        const body = await fetchBytes(`${ROUTES.result(job.id, i)}?format=jpeg&maxSide=${THUMBNAIL_MAX_SIDE}`);
        expect(Buffer.compare(body, thumbnails[i])).toBe(0);
      }
    }
    expect(encoded).toEqual([]);
    expect(queue.retainedBytes).toBe(before);

    // Another size, or PNG: encoded (once) as before.
    const other = await decoded(await fetchBytes(`${ROUTES.result(job.id, 0)}?format=jpeg&maxSide=128`));
    expect([other.width, other.height]).toEqual([128, 91]);
    await fetchBytes(ROUTES.result(job.id, 0));
    expect(encoded).toEqual(['jpeg/128', 'png/full']);
  });

  it('a result without a thumbnail (a transparent crop larger than the working size) is encoded when asked', async () => {
    const { encoded, finished, fetchBytes } = await serve();
    const job = await finished(scene(1400, 1000, (x) => (x < 200 ? 0 : 255)), 1);
    expect(job.results[0].thumbnail).toBeUndefined();
    const body = await fetchBytes(`${ROUTES.result(job.id, 0)}?format=jpeg&maxSide=${THUMBNAIL_MAX_SIDE}`);
    expect(encoded).toEqual([`jpeg/${THUMBNAIL_MAX_SIDE}`]);
    const thumbnail = await decoded(body);
    expect([thumbnail.width, thumbnail.height]).toEqual([256, 183]);
    // Flattened onto white where the crop is transparent.
    expect(Array.from(thumbnail.data.subarray(0, 3)).every((v) => v >= 250)).toBe(true);
  });
});
