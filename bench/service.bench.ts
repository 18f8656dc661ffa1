/**
 * Service overheads, each as min and median of several runs:
 * 1. Start-up of the compiled service: `genfill --help`, and `/v1/health` answering after `genfill serve` starts
 *    (targets ≤ 0.5 s and ≤ 1.5 s).
 * 2. Event-loop delay of the HTTP thread, at 1 ms resolution, while jobs run — the client (upload, polling,
 *    downloads) in another process, so only the service's own work counts (targets p99 ≤ 10 ms, max ≤ 50 ms). They
 *    run first, while this process holds no garbage from the pixel benchmarks below for its collector to sweep.
 * 3. Per-job pixel work for a 2048² crop at a 1024² working size: decode + checks, resample in, resample back +
 *    composite + thumbnail (target ≤ 150 ms in all). Results go to the panel raw; a PNG is
 *    encoded only for a client that asks for one (once per result, cached), so it is timed on its own line.
 * 4. A 4096² crop with 8 variations: composites and thumbnails (target ≤ 1 s), and the PNGs a client would wait for
 *    if it fetched all eight as PNG.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ROUTES } from '../core/protocol';
import { encodePng } from '../service/imaging/codec';
import { decodeCropInputs } from '../service/jobs/inputs';
import { resolveParams } from '../service/jobs/params';
import { maskBounds } from '../core/mask';
import { finishResults, prepareEngineJob } from '../service/jobs/region';
import { regionJob } from '../service/jobs/run-inpaint';
import { silentLogger } from '../service/log';
import { startService } from '../service/main';
import { FAKE_ENGINE_MODULE } from '../test/service/fake-engines';
import { holeMask, photoLike } from './pictures';
import { loadLine, median, minMedian, sample } from './stats';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = `${ROOT}bin/genfill.js`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function exited(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`genfill ${args.join(' ')}: exit ${code}`))));
  });
}

async function healthAfterStart(): Promise<number> {
  const port = await freePort();
  const start = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--quiet'], { stdio: 'ignore' });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}${ROUTES.health}`).then((r) => r.ok, () => false);
      if (ok) return performance.now() - start;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await gone;
  }
}

async function startup(): Promise<void> {
  // @ts-expect-error -- a plain JavaScript build script, no declarations
  await import('../scripts/build-service.js');
  console.log(`genfill --help (compiled): ${minMedian(await sample(5, () => exited(['--help'])))} (target ≤ 500 ms); ${loadLine()}`);
  const health: number[] = [];
  for (let i = 0; i < 3; i++) health.push(await healthAfterStart());
  console.log(`/v1/health answers after genfill serve starts: ${minMedian(health)} (target ≤ 1500 ms); ${loadLine()}`);
}

async function prePostFor2048Crop(input: 'png' | 'raw', channels: 3 | 4): Promise<void> {
  const size = 2048;
  const rgb = photoLike(size, size, channels);
  const hole = holeMask(size, size, 0.3);
  const parts =
    input === 'png'
      ? {
          image: { bytes: await sharp(rgb, { raw: { width: size, height: size, channels } }).png({ compressionLevel: 6 }).toBuffer(), contentType: 'image/png' },
          mask: { bytes: await sharp(hole, { raw: { width: size, height: size, channels: 1 } }).png().toBuffer(), contentType: 'image/png' },
        }
      : { image: { bytes: rgb, contentType: 'application/octet-stream' }, mask: { bytes: hole, contentType: 'application/octet-stream' } };
  const params = resolveParams({
    prompt: 'bench',
    variations: 1,
    seed: 1,
    ...(input === 'raw' && { image: { width: size, height: size, channels }, mask: { width: size, height: size, channels: 1 } }),
  });
  const generated = { seed: 1, width: 1024, height: 1024, rgb: photoLike(1024, 1024, 3) };
  const runs: Record<'decode' | 'prepare' | 'composite' | 'total' | 'png', number[]> = { decode: [], prepare: [], composite: [], total: [], png: [] };
  let pngBytes = 0;
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    const inputs = await decodeCropInputs(parts.image, parts.mask, params);
    const t1 = performance.now();
    const job = regionJob(inputs, params, 'sdxl');
    const engineJob = await prepareEngineJob(job);
    const t2 = performance.now();
    // As the job does it: colour-matched (SDXL's default), composited, its thumbnail made.
    const [result] = await finishResults([{ ...generated, rgb: generated.rgb.slice() }], job, engineJob, maskBounds(job.mask.data, size, size)!);
    const t3 = performance.now();
    pngBytes = (await encodePng(result.pixels)).byteLength;
    const t4 = performance.now();
    if (i === 0) continue; // warm-up
    runs.decode.push(t1 - t0);
    runs.prepare.push(t2 - t1);
    runs.composite.push(t3 - t2);
    runs.total.push(t3 - t0);
    runs.png.push(t4 - t3);
  }
  console.log(`2048² ${input} ${channels === 4 ? 'RGBA' : 'RGB'} crop (30% hole) at 1024²: service pre/post ${minMedian(runs.total)} (target ≤ 150 ms); ${loadLine()}`);
  console.log(`    decode+checks ${minMedian(runs.decode)}, resample in ${minMedian(runs.prepare)}, resample back + colour match + composite + thumbnail ${minMedian(runs.composite)}`);
  console.log(`    PNG of the result, only for a client that asks for PNG (once, cached): ${minMedian(runs.png)}, ${mib(pngBytes)} of ${mib(size * size * 4)} raw`);
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

async function compositeAndEncode4096(channels: 3 | 4): Promise<void> {
  const size = 4096;
  const image = { width: size, height: size, channels, data: photoLike(size, size, channels) };
  const mask = { width: size, height: size, channels: 1 as const, data: holeMask(size, size, 0.4) };
  const bounds = maskBounds(mask.data, size, size)!;
  const generated = Array.from({ length: 8 }, (_, seed) => ({ seed, width: 1024, height: 1024, rgb: photoLike(1024, 1024, 3) }));
  const job = regionJob({ image, mask, warnings: [] }, resolveParams({ prompt: 'bench', variations: 8 }), 'sdxl');
  // The engine's input, which the worker has from resampling the crop in.
  const engineJob = await prepareEngineJob(job);
  const composite: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < 4; i++) {
    // Colour match corrects the engine's output in place.
    const outputs = generated.map((g) => ({ ...g, rgb: g.rgb.slice() }));
    const t0 = performance.now();
    const results = await finishResults(outputs, job, engineJob, bounds);
    const t1 = performance.now();
    await Promise.all(results.map((r) => encodePng(r.pixels)));
    const t2 = performance.now();
    if (i === 0) continue;
    composite.push(t1 - t0);
    total.push(t2 - t0);
  }
  console.log(`4096² ${channels === 4 ? 'RGBA' : 'RGB'} crop (40% hole), 8 variations from 1024²: composite + thumbnail of each (what the panel fetches, with the raw results) ${minMedian(composite)} (target ≤ 1000 ms); ${loadLine()}`);
  console.log(`    + a PNG of all eight, only for a client that fetches all eight as PNG: ${minMedian(total)}`);
}

/** One job by the client in another process: the HTTP thread's event-loop delay from upload to last download. */
async function eventLoopDuringJob(config: Parameters<typeof startService>[0], clientArgs: string[]): Promise<{ p99: number; max: number; seconds: number; bytes: number }> {
  const service = await startService({ port: 0, ...config }, { log: silentLogger });
  while (service.runner.workerStatus().state !== 'running') await new Promise((resolve) => setTimeout(resolve, 20));
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  try {
    const client = spawn(process.execPath, ['--import', 'tsx', `${ROOT}bench/job-client.ts`, service.url, ...clientArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    const report = await new Promise<string>((resolve, reject) => {
      client.stdout.on('data', (chunk: Buffer) => {
        output += chunk;
        if (/^sending$/m.test(output)) histogram.enable();
        const done = /^done (.*)$/m.exec(output);
        if (done) {
          histogram.disable();
          resolve(done[1]);
        }
      });
      client.on('exit', (code) => reject(new Error(`job client exited with ${code}: ${output}`)));
    });
    const result = JSON.parse(report) as { state: string; error: unknown; seconds: number; bytes: number };
    if (result.state !== 'succeeded') throw new Error(`the bench job ${result.state}: ${JSON.stringify(result.error)}`);
    return { p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6, seconds: result.seconds, bytes: result.bytes };
  } finally {
    await service.close();
  }
}

/** `runs` jobs, each with a fresh service; min / median of their p99 and max event-loop delay. */
async function eventLoopDuring(label: string, config: Parameters<typeof startService>[0], clientArgs: string[], runs = 3): Promise<void> {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await eventLoopDuringJob(config, clientArgs));
  console.log(`${label}: ${(median(results.map((r) => r.seconds))).toFixed(1)} s per job, ${mib(results[0].bytes)} fetched; ${loadLine()}`);
  console.log(
    `    event-loop delay p99 ${minMedian(results.map((r) => r.p99))}, max ${minMedian(results.map((r) => r.max))} (targets p99 ≤ 10, max ≤ 50)`,
  );
}

await startup();
await eventLoopDuring('classic job, 1024² RGB crop (raw), 40% hole, 2 variations, fetched as the panel does', {}, ['1024', '3', '2', 'classic', '', 'raw', 'panel']);
// An instant engine from here on, so that the result handling dominates: upload, composite in the worker, results home.
const fake = { engineModule: FAKE_ENGINE_MODULE };
await eventLoopDuring("2048² RGB crop (raw, a Background layer's), 3 variations, fetched as the panel does", fake, ['2048', '3', '3', 'classic', 'bench', 'raw', 'panel']);
await eventLoopDuring('4096² RGBA crop (raw), 8 variations, all fetched as PNG', fake, ['4096', '4', '8', 'classic', 'bench', 'raw', 'png']);
await eventLoopDuring('4096² RGB crop uploaded as PNG, 8 variations, fetched as the panel does', fake, ['4096', '3', '8', 'classic', 'bench', 'png', 'panel']);
await prePostFor2048Crop('raw', 3);
// What the panel sends: RGBA.
await prePostFor2048Crop('raw', 4);
await prePostFor2048Crop('png', 3);
await compositeAndEncode4096(4);
await compositeAndEncode4096(3);
