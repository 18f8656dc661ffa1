/**
 * `genfill model install` against the local fake hub (loopback, no network): how fast the client streams, hashes
 * (sha256) and writes a large weights file, and that its memory does not grow with the file (nothing is buffered).
 * Also the cost of a resume: re-reading the partial file to rebuild its hash.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installFromHub } from '../service/models/hub-download';
import { formatBytes } from '../service/models/progress-bar';
import { FakeHub, sdxlLikeRepo } from '../test/model-sources/fake-hub';

const SIZE = 256e6;
const RUNS = 3;
const UNET = 'unet/diffusion_pytorch_model.fp16.safetensors';

const repo = sdxlLikeRepo();
repo.files[UNET] = randomBytes(SIZE);
const hub = await new FakeHub([repo]).start();

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fresh: number[] = [];
const resumed: number[] = [];
let peakGrowth = 0;
for (let run = 0; run < RUNS; run += 1) {
  for (const [times, label] of [[0, fresh], [1, resumed]] as const) {
    const home = await mkdtemp(join(tmpdir(), 'genfill-bench-'));
    // A drop at 90 %: the retry re-reads 230 MB from disk to rebuild the hash, then fetches the rest.
    hub.faults = times ? [{ path: UNET, kind: 'drop', at: Math.floor(SIZE * 0.9), times }] : [];
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const started = performance.now();
    await installFromHub({
      repoId: repo.repoId,
      env: { HF_ENDPOINT: hub.endpoint, HF_HOME: home },
      retryDelayMs: 0,
      onProgress: () => (peak = Math.max(peak, process.memoryUsage.rss())),
    });
    label.push((performance.now() - started) / 1000);
    peakGrowth = Math.max(peakGrowth, peak - before);
    await rm(home, { recursive: true, force: true });
  }
}
await hub.close();

const total = SIZE + 90_000;
console.log(`install of a ${formatBytes(total)} repo from the fake hub on loopback, ${RUNS} runs:`);
console.log(`  fresh:                 min ${Math.min(...fresh).toFixed(2)} s, median ${median(fresh).toFixed(2)} s (${formatBytes(total / median(fresh))}/s: stream + sha256 + write)`);
console.log(`  dropped at 90 %, resumed: min ${Math.min(...resumed).toFixed(2)} s, median ${median(resumed).toFixed(2)} s (re-hashes the partial, then fetches the rest)`);
console.log(`  peak RSS growth during an install: ${formatBytes(peakGrowth)} (the file is ${formatBytes(SIZE)}: streamed, not buffered)`);
