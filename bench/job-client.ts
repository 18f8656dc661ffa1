/**
 * The HTTP client of the service benchmark, in its own process so that its work does not count as the service's
 * event-loop delay: posts one job (raw pixels, or the image as a PNG), polls it, downloads every result — as the
 * panel does (raw, plus a JPEG thumbnail each) or as PNG — and reports on stdout. Prints `sending` just before the
 * upload starts and `done {json}` at the end (the benchmark measures in between, so the service's upload handling
 * counts).
 *
 * Arguments: url size channels variations engine prompt upload(raw|png) fetch(panel|png)
 */
import sharp from 'sharp';
import { ROUTES, THUMBNAIL_MAX_SIDE, type JobSnapshot } from '../core/protocol';
import { holeMask, photoLike } from './pictures';

const [url, sizeArg, channelsArg, variationsArg, engine, prompt, upload, fetchMode] = process.argv.slice(2);
const size = Number(sizeArg);
const channels = Number(channelsArg) as 3 | 4;
const pixels = photoLike(size, size, channels);
const form = new FormData();
const params = { prompt, engine, variations: Number(variationsArg), steps: 2, seed: 1, mask: { width: size, height: size, channels: 1 } };
if (upload === 'png') {
  form.append('params', JSON.stringify(params));
  const png = await sharp(pixels, { raw: { width: size, height: size, channels } }).png({ compressionLevel: 1 }).toBuffer();
  form.append('image', new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
} else {
  form.append('params', JSON.stringify({ ...params, image: { width: size, height: size, channels } }));
  form.append('image', new Blob([pixels as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
}
form.append('mask', new Blob([holeMask(size, size, 0.4) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
const downloads = (id: string, index: number) =>
  fetchMode === 'png' ? [ROUTES.result(id, index)] : [`${ROUTES.result(id, index)}?format=raw`, ROUTES.resultThumbnail(id, index, THUMBNAIL_MAX_SIDE)];

console.log('sending');
const started = performance.now();
const created = (await (await fetch(url + ROUTES.jobs, { method: 'POST', body: form })).json()) as { id: string };
let snapshot: JobSnapshot;
let slowestPoll = 0;
for (;;) {
  const t = performance.now();
  snapshot = (await (await fetch(url + ROUTES.job(created.id))).json()) as JobSnapshot;
  slowestPoll = Math.max(slowestPoll, performance.now() - t);
  if (['succeeded', 'failed', 'cancelled'].includes(snapshot.state)) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
let bytes = 0;
for (const result of snapshot.results) {
  for (const path of downloads(created.id, result.index)) bytes += (await (await fetch(url + path)).arrayBuffer()).byteLength;
}
console.log(`done ${JSON.stringify({ state: snapshot.state, error: snapshot.error, seconds: (performance.now() - started) / 1000, slowestPoll, bytes })}`);
