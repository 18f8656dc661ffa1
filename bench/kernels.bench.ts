/**
 * The per-job pixel kernels on their own, single thread: Pillow-exact Lanczos-3 (2048² ⇄ 1024², RGB and a mask) and
 * colour match over a 1.2 Mpx fill. Each figure is the min and median of RUNS runs, as CPU time of this thread
 * (process.cpuUsage: what the kernel costs, less disturbed by other processes on a loaded machine) and wall time;
 * the load average is printed with them. Targets (#12, on an idle core): 2048²→1024² RGB ≤ 40 ms, mask ≤ 15 ms,
 * 1024²→2048² RGB ≤ 50 ms, colour match ≤ 30 ms.
 */
import { loadavg } from 'node:os';
import { Random } from '../service/engines/classic/random';
import { colourMatchArea, matchColours } from '../service/imaging/colour-match';
import { resampleLanczos3 } from '../service/imaging/lanczos';
import type { Pixels } from '../service/imaging/pixels';

const RUNS = 9;

/** Gradients with a little per-pixel noise, like a photo; `noise` makes every pixel random (the worst case). */
function picture(width: number, height: number, channels: 1 | 3 | 4, noise = false): Pixels {
  const random = new Random(width * 31 + channels);
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const n = random.int(12);
      for (let c = 0; c < channels; c++) {
        const smooth = 128 + 90 * Math.sin((x * (c + 1)) / 97) * Math.cos((y * (3 - c)) / 131) + n;
        data[(y * width + x) * channels + c] = noise ? random.int(256) : smooth;
      }
    }
  }
  return { width, height, channels, data };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

function time(label: string, prepare: () => () => unknown): void {
  const cpu: number[] = [];
  const wall: number[] = [];
  prepare()(); // warm-up: compiled code and cached weights, as in a running service
  for (let i = 0; i < RUNS; i++) {
    const run = prepare();
    const c = process.cpuUsage();
    const t = performance.now();
    run();
    wall.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  const f = (v: number) => v.toFixed(1).padStart(6);
  console.log(`${label.padEnd(58)} CPU min ${f(Math.min(...cpu))} / median ${f(median(cpu))} ms   wall min ${f(Math.min(...wall))} / median ${f(median(wall))} ms`);
}

console.log(`load average ${loadavg().map((v) => v.toFixed(2)).join(' ')} (1/5/15 min); ${RUNS} runs each, after one warm-up`);
const big = picture(2048, 2048, 3);
const mask = picture(2048, 2048, 1);
const small = picture(1024, 1024, 3);
time('Lanczos-3 2048²→1024² RGB (target ≤ 40 ms)', () => () => resampleLanczos3(big, { width: 1024, height: 1024 }));
time('Lanczos-3 2048²→1024² mask (target ≤ 15 ms)', () => () => resampleLanczos3(mask, { width: 1024, height: 1024 }));
time('Lanczos-3 1024²→2048² RGB (target ≤ 50 ms)', () => () => resampleLanczos3(small, { width: 2048, height: 2048 }));

// A 1096² selection centred in a 2048² crop: 1.2 Mpx to correct, its ring read for the statistics.
const crop = { width: 2048, height: 2048 };
const hole = { x: 476, y: 476, width: 1096, height: 1096 };
const area = colourMatchArea(hole, crop);
const holeMask = new Uint8Array(crop.width * crop.height);
for (let y = hole.y; y < hole.y + hole.height; y++) holeMask.fill(255, y * crop.width + hole.x, y * crop.width + hole.x + hole.width);
const original = picture(crop.width, crop.height, 3);
for (const noise of [false, true]) {
  const fill = picture(area.width, area.height, 3, noise);
  // A cast on the fill, so there is something to correct.
  for (let i = 0; i < fill.data.length; i += 3) fill.data[i] = Math.min(255, fill.data[i] + 14);
  time(`colour match, 1.2 Mpx ${noise ? 'random noise' : 'photo-like'} fill (target ≤ 30 ms)`, () => {
    const generated = fill.data.slice();
    return () => {
      if (!matchColours({ generated, original: { width: crop.width, channels: 3, data: original.data }, mask: holeMask, area })) throw new Error('nothing corrected');
    };
  });
}
console.log(`load average ${loadavg().map((v) => v.toFixed(2)).join(' ')} at the end`);
