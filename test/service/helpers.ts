/** Drivers for service tests: a service on an ephemeral port, crop fixtures, multipart posts, polling. */
import { createServer, request, type RequestListener } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { MessageChannel } from 'node:worker_threads';
import sharp from 'sharp';
import { expect } from 'vitest';
import type { ErrorBody } from '../../core/errors';
import type { Health, JobCreated, JobParams, JobSnapshot } from '../../core/protocol';
import { ROUTES, TERMINAL_STATES } from '../../core/protocol';
import type { ServiceConfig } from '../../service/config';
import { createLogger, type Logger } from '../../service/log';
import { startService, type RunningService } from '../../service/main';
import { FAKE_ENGINE_MODULE } from './fake-engines';

export { FAKE_ENGINE_MODULE };

/** Collects log lines so tests can assert on them (and keep the output clean). */
export function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ level: 'debug', write: (line) => lines.push(line) }), lines };
}

export async function startTestService(config: Partial<ServiceConfig> = {}): Promise<RunningService & { lines: string[] }> {
  const { log, lines } = memoryLogger();
  const service = await startService({ port: 0, engineModule: FAKE_ENGINE_MODULE, drainSeconds: 0, ...config }, { log });
  return Object.assign(service, { lines });
}

export interface Crop {
  width: number;
  height: number;
  channels: 3 | 4;
  image: Uint8Array;
  /** 255 inside `hole`, 0 outside, with one soft (128) ring pixel column on the left edge of the hole. */
  mask: Uint8Array;
}

/** A deterministic gradient crop with a rectangular hole in the middle. */
export function makeCrop(width: number, height: number, channels: 3 | 4 = 3): Crop {
  const image = new Uint8Array(width * height * channels);
  const mask = new Uint8Array(width * height);
  const hole = { x0: Math.floor(width / 4), x1: Math.floor((width * 3) / 4), y0: Math.floor(height / 4), y1: Math.floor((height * 3) / 4) };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      image[p * channels] = (x * 255) / width;
      image[p * channels + 1] = (y * 255) / height;
      image[p * channels + 2] = (x + y) % 256;
      if (channels === 4) image[p * channels + 3] = 200 + (x % 50);
      const inside = x >= hole.x0 && x < hole.x1 && y >= hole.y0 && y < hole.y1;
      mask[p] = inside ? (x === hole.x0 ? 128 : 255) : 0;
    }
  }
  return { width, height, channels, image, mask };
}

export async function cropAsPng(crop: Crop): Promise<{ image: Buffer; mask: Buffer }> {
  const image = await sharp(crop.image, { raw: { width: crop.width, height: crop.height, channels: crop.channels } }).png().toBuffer();
  const mask = await sharp(crop.mask, { raw: { width: crop.width, height: crop.height, channels: 1 } }).png().toBuffer();
  return { image, mask };
}

export interface Part {
  bytes: Uint8Array;
  type: string;
}

export function jobForm(params: JobParams | string, image: Part, mask: Part): FormData {
  const form = new FormData();
  form.append('params', typeof params === 'string' ? params : JSON.stringify(params));
  form.append('image', new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: image.type }), 'image');
  form.append('mask', new Blob([mask.bytes as Uint8Array<ArrayBuffer>], { type: mask.type }), 'mask');
  return form;
}

/** A raw-pixel job form for `crop`; `params` extends the defaults (strength 1, so that even 1 step runs one). */
export function rawJobForm(crop: Crop, params: Partial<JobParams> = {}): FormData {
  return jobForm(
    {
      prompt: 'a test fill',
      strength: 1,
      steps: 3,
      variations: 2,
      seed: 42,
      image: { width: crop.width, height: crop.height, channels: crop.channels },
      mask: { width: crop.width, height: crop.height, channels: 1 },
      ...params,
    },
    { bytes: crop.image, type: 'application/octet-stream' },
    { bytes: crop.mask, type: 'application/octet-stream' },
  );
}

export interface RawPart {
  name: string;
  filename?: string;
  type?: string;
  body: Uint8Array | string;
}

export const BOUNDARY = 'genfill-test-boundary';

/** A multipart body built by hand, as UXP's FormData (or a hostile client) would send it. */
export function multipart(parts: RawPart[]): Uint8Array<ArrayBuffer> {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const filename = part.filename === undefined ? '' : `; filename="${part.filename}"`;
    const type = part.type === undefined ? '' : `\r\nContent-Type: ${part.type}`;
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"${filename}${type}\r\n\r\n`));
    chunks.push(Buffer.from(part.body));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return new Uint8Array(Buffer.concat(chunks));
}

export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

export async function postJob(url: string, form: FormData, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url + ROUTES.jobs, { method: 'POST', body: form, headers });
}

export async function submit(url: string, form: FormData): Promise<JobCreated> {
  const res = await postJob(url, form);
  if (res.status !== 202) throw new Error(`POST /v1/jobs: ${res.status} ${await res.text()}`);
  return (await res.json()) as JobCreated;
}

export async function getJob(url: string, id: string): Promise<JobSnapshot> {
  const res = await fetch(url + ROUTES.job(id));
  if (!res.ok) throw new Error(`GET job: ${res.status} ${await res.text()}`);
  return (await res.json()) as JobSnapshot;
}

/** Polls until the job reaches one of `states` (default: any terminal state); returns every snapshot seen. */
export async function waitForJob(url: string, id: string, states: readonly string[] = TERMINAL_STATES): Promise<JobSnapshot[]> {
  const seen: JobSnapshot[] = [];
  for (;;) {
    const snapshot = await getJob(url, id);
    seen.push(snapshot);
    if (states.includes(snapshot.state)) return seen;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function errorOf(res: Response): Promise<ErrorBody['error']> {
  return ((await res.json()) as ErrorBody).error;
}

/** A request through node:http, which (unlike fetch) lets a test set the Host header. */
export function rawRequest(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Writes `text` on a fresh connection and returns everything the service sends back before it closes. */
export function socketExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(text);
  });
}

/** Polls health until `ready` holds (e.g. the worker has reported its engines). */
export async function waitForHealth(url: string, ready: (health: Health) => boolean): Promise<Health> {
  for (;;) {
    const health = (await (await fetch(url + ROUTES.health)).json()) as Health;
    if (ready(health)) return health;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every pixel where the mask is 0 must come back with the input's exact bytes (RGB, and alpha: the input's or 255). */
export function expectUnmaskedIdentical(crop: Crop, rgba: Uint8Array): void {
  let checked = 0;
  let changed = 0;
  for (let p = 0; p < crop.width * crop.height; p++) {
    if (crop.mask[p] !== 0) continue;
    checked++;
    const alpha = crop.channels === 4 ? crop.image[p * 4 + 3] : 255;
    for (let c = 0; c < 3; c++) if (rgba[p * 4 + c] !== crop.image[p * crop.channels + c]) changed++;
    if (rgba[p * 4 + 3] !== alpha) changed++;
  }
  expect(checked).toBeGreaterThan(0);
  expect(changed).toBe(0);
}

/** Serves `app` (e.g. createApp with test parts) on an ephemeral loopback port. */
export async function serveApp(app: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Whether `view`'s buffer moves when posted to another thread (it is detached here) rather than being copied: false
 * for a buffer native code made, such as sharp's output (Node 20 copies it, Node ≥ 21 refuses it). Detaches `view`.
 */
export function movesWhenPosted(view: Uint8Array): boolean {
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(view, [view.buffer as ArrayBuffer]);
  } catch {
    return false;
  } finally {
    port1.close();
    port2.close();
  }
  return view.byteLength === 0;
}
