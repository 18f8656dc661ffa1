/**
 * The HTTP client of the service benchmark, in its own process so that its work does not count as the service's
 * event-loop delay: posts one raw-pixel job, polls it, downloads every result, and reports on stdout. Prints
 * `sending` just before the upload starts and `done {json}` at the end (the benchmark measures in between, so the
 * service's upload handling counts).
 */
import { ROUTES, type JobSnapshot } from '../core/protocol';
import { holeMask, photoLike } from './pictures';

const [url, sizeArg, channelsArg, variationsArg, engine, prompt] = process.argv.slice(2);
const size = Number(sizeArg);
const channels = Number(channelsArg) as 3 | 4;
const form = new FormData();
form.append(
  'params',
  JSON.stringify({ prompt, engine, variations: Number(variationsArg), steps: 2, seed: 1, image: { width: size, height: size, channels }, mask: { width: size, height: size, channels: 1 } }),
);
form.append('image', new Blob([photoLike(size, size, channels) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
form.append('mask', new Blob([holeMask(size, size, 0.4) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));

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
for (const result of snapshot.results) bytes += (await (await fetch(url + ROUTES.result(created.id, result.index))).arrayBuffer()).byteLength;
console.log(`done ${JSON.stringify({ state: snapshot.state, error: snapshot.error, seconds: (performance.now() - started) / 1000, slowestPoll, bytes })}`);
