/**
 * Panel-side work that grows with the image and runs on UXP's single thread, at the largest transfer (2048², the
 * MAX_TRANSFER_PIXELS cap): the mask's grow + feather (core/mask-adjust) and building the multipart upload body
 * (plugin/client/multipart). Prints min and median of several runs.
 */
import { MAX_TRANSFER_PIXELS } from '../core/geometry';
import { adjustMask } from '../core/mask-adjust';
import { asciiJson, multipartBody } from '../plugin/client/multipart';

const side = Math.sqrt(MAX_TRANSFER_PIXELS);
const RUNS = 7;

function time(label: string, run: () => unknown): void {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  console.log(`${label}: min ${samples[0].toFixed(1)} ms, median ${samples[RUNS >> 1].toFixed(1)} ms`);
}

/** A selected square of `fraction` of the side in the middle (auto context puts a selection at about half the side). */
function squareMask(fraction: number): Uint8Array {
  const mask = new Uint8Array(side * side);
  const lo = Math.round((side * (1 - fraction)) / 2), hi = side - lo;
  for (let y = lo; y < hi; y++) mask.fill(255, y * side + lo, y * side + hi);
  return mask;
}
const mask = squareMask(0.5);
const image = new Uint8Array(side * side * 4).fill(128);

for (const [fraction, grow, feather] of [[0.5, 4, 3], [0.5, 32, 24], [1, 4, 3]]) {
  const input = squareMask(fraction);
  time(`mask grow ${grow} + feather ${feather}, ${side}², selection ${fraction * 100}% of the side`, () => adjustMask(input, side, side, { grow, feather }));
}
time(`multipart body, ${side}² RGBA + mask (${((image.length + mask.length) / 2 ** 20).toFixed(0)} MiB)`, () =>
  multipartBody([
    { name: 'params', contentType: 'application/json', data: asciiJson({ prompt: 'a lighthouse', image: { width: side, height: side, channels: 4 } }) },
    { name: 'image', contentType: 'application/octet-stream', filename: 'image.raw', data: image },
    { name: 'mask', contentType: 'application/octet-stream', filename: 'mask.raw', data: mask },
  ]),
);
