/**
 * The per-job pixel kernels on their own, single thread: Pillow-exact Lanczos-3 (2048² ⇄ 1024², RGB and a mask) and
 * colour match over a 1.2 Mpx fill. Each figure is the min and median of RUNS runs, as CPU time of this thread
 * (process.cpuUsage: what the kernel costs, less disturbed by other processes on a loaded machine) and wall time;
 * the load average is printed with them. Targets (#12, on an idle core): 2048²→1024² RGB ≤ 40 ms, mask ≤ 15 ms,
 * 1024²→2048² RGB ≤ 50 ms, colour match ≤ 30 ms.
 */
import { Random } from '../service/engines/classic/random';
import { colourMatchArea, matchColours } from '../service/imaging/colour-match';
import { resampleLanczos3 } from '../service/imaging/lanczos';
import { holeMask, photoLike } from './pictures';
import { loadLine, machineLine, minMedian } from './stats';

const RUNS = 9;

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
  console.log(`${label}\n  CPU ${minMedian(cpu)}   wall ${minMedian(wall)}`);
}

console.log(`${machineLine()}; ${loadLine()} (1/5/15 min); one warm-up run each`);
const big = { width: 2048, height: 2048, channels: 3 as const, data: photoLike(2048, 2048, 3) };
const mask = { width: 2048, height: 2048, channels: 1 as const, data: holeMask(2048, 2048, 0.3) };
const small = { width: 1024, height: 1024, channels: 3 as const, data: photoLike(1024, 1024, 3) };
time('Lanczos-3 2048²→1024² RGB (target ≤ 40 ms)', () => () => resampleLanczos3(big, { width: 1024, height: 1024 }));
time('Lanczos-3 2048²→1024² mask (target ≤ 15 ms)', () => () => resampleLanczos3(mask, { width: 1024, height: 1024 }));
time('Lanczos-3 1024²→2048² RGB (target ≤ 50 ms)', () => () => resampleLanczos3(small, { width: 2048, height: 2048 }));

// A 1096² selection centred in a 2048² crop: 1.2 Mpx to correct, its ring read for the statistics.
const crop = { width: 2048, height: 2048 };
const hole = { x: 476, y: 476, width: 1096, height: 1096 };
const area = colourMatchArea(hole, crop);
const selection = new Uint8Array(crop.width * crop.height);
for (let y = hole.y; y < hole.y + hole.height; y++) selection.fill(255, y * crop.width + hole.x, y * crop.width + hole.x + hole.width);
const original = photoLike(crop.width, crop.height, 3);
const random = new Random(7);
for (const [kind, fill] of [
  ['photo-like', photoLike(area.width, area.height, 3)],
  ['random noise', Uint8Array.from({ length: area.width * area.height * 3 }, () => random.int(256))],
] as const) {
  // A cast on the fill, so there is something to correct.
  for (let i = 0; i < fill.length; i += 3) fill[i] = Math.min(255, fill[i] + 14);
  time(`colour match, 1.2 Mpx ${kind} fill (target ≤ 30 ms)`, () => {
    const generated = fill.slice();
    return () => {
      if (!matchColours({ generated, original: { width: crop.width, channels: 3, data: original }, mask: selection, area })) throw new Error('nothing corrected');
    };
  });
}
console.log(`${loadLine()} at the end`);
