/**
 * Hostile input against the HTTP edge (issue #13, each reproducer at a small size) and multipart parts classified
 * by the declared sizes and the bytes rather than their type or filename (issue #14: UXP sends `filename="blob"`).
 */
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type Health } from '../../core/protocol';
import { createApp } from '../../service/http/app';
import { UPLOAD_LIMITS, type UploadLimits } from '../../service/http/upload';
import { JobQueue } from '../../service/jobs/queue';
import { silentLogger } from '../../service/log';
import type { EngineRunner } from '../../service/worker/engine-host';
import { BOUNDARY, cropAsPng, socketExchange, errorOf, makeCrop, multipart, MULTIPART_TYPE, postJob, rawJobForm, startTestService, submit, waitForHealth, waitForJob } from './helpers';

type Service = Awaited<ReturnType<typeof startTestService>>;
const crop = makeCrop(32, 32, 3);

function rawParams(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    prompt: 'x',
    steps: 2,
    strength: 1,
    variations: 1,
    image: { width: crop.width, height: crop.height, channels: 3 },
    mask: { width: crop.width, height: crop.height, channels: 1 },
    ...extra,
  });
}

async function postBody(url: string, body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url + ROUTES.jobs, { method: 'POST', body, headers: { 'content-type': MULTIPART_TYPE, ...headers } });
}

/** Reads one HTTP response off a raw socket (status and JSON body). */
function parseResponse(text: string): { status: number; body: { error: { code: string; message: string } } } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  return { status, body: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } } };
}

describe('hostile input (issue #13)', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startTestService({ allowedOrigins: ['https://allowed.example'] });
  });
  afterAll(async () => {
    await service.close();
  });

  it('1. a params part sent as a file is capped like a field: 1 MiB of "[" → 413, never parsed', async () => {
    const body = multipart([
      { name: 'params', filename: 'params.json', type: 'application/json', body: '['.repeat(2 ** 20) },
      { name: 'image', filename: 'blob', type: 'application/octet-stream', body: crop.image },
      { name: 'mask', filename: 'blob', type: 'application/octet-stream', body: crop.mask },
    ]);
    const res = await postBody(service.url, body);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('payload_too_large');
  });

  it('2. deeply nested params → 400 naming params (not a 500), as a field and as a file', async () => {
    const nested = `{"prompt":"x","client":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    for (const filename of [undefined, 'params.json']) {
      const body = multipart([
        { name: 'params', filename, body: nested },
        { name: 'image', filename: 'blob', type: 'application/octet-stream', body: crop.image },
        { name: 'mask', filename: 'blob', type: 'application/octet-stream', body: crop.mask },
      ]);
      const res = await postBody(service.url, body);
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.field).toBe('params');
      expect(error.message).toMatch(/nested deeper than/);
    }
  });

  it('4. errors name the invalid value but never echo it beyond a short excerpt', async () => {
    const long = 'A'.repeat(60_000);
    for (const params of [rawParams({ steps: long }), rawParams({ [long]: 1 }), rawParams({ scheduler: long })]) {
      const body = multipart([
        { name: 'params', body: params },
        { name: 'image', filename: 'blob', type: 'application/octet-stream', body: crop.image },
        { name: 'mask', filename: 'blob', type: 'application/octet-stream', body: crop.mask },
      ]);
      const res = await postBody(service.url, body);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text.length).toBeLessThan(1000);
      expect(JSON.parse(text).error.code).toBe('invalid_params');
    }
    const path = `/v1/${'x'.repeat(10_000)}`;
    const notFound = await fetch(service.url + path);
    expect(notFound.status).toBe(404);
    expect((await notFound.text()).length).toBeLessThan(1000);
  });

  it('5. a request from a web page (a foreign Origin, or null) → 403; no Origin, the own origin or an allowed one pass', async () => {
    for (const origin of ['https://evil.example', 'null', 'http://localhost:1']) {
      const res = await postJob(service.url, rawJobForm(crop, { steps: 1, variations: 1 }), { Origin: origin });
      expect(res.status, origin).toBe(403);
      const error = await errorOf(res);
      expect(error.code).toBe('forbidden_origin');
      expect(error.message).toMatch(/--allowed-origin/);
    }
    expect((await fetch(service.url + ROUTES.health, { headers: { Origin: 'https://evil.example' } })).status).toBe(403);
    expect((await postJob(service.url, rawJobForm(crop, { steps: 1, variations: 1 }))).status).toBe(202);
    expect((await postJob(service.url, rawJobForm(crop, { steps: 1, variations: 1 }), { Origin: 'https://allowed.example' })).status).toBe(202);
    expect((await fetch(service.url + ROUTES.health, { headers: { Origin: `http://127.0.0.1:${service.port}` } })).status).toBe(200);
  });

  it('7. a client that closes its connection right after the upload gets no job', async () => {
    const body = multipart([
      { name: 'params', body: rawParams() },
      { name: 'image', filename: 'blob', type: 'application/octet-stream', body: crop.image },
      { name: 'mask', filename: 'blob', type: 'application/octet-stream', body: crop.mask },
    ]);
    const before = service.lines.filter((l) => l.endsWith(' queued')).length;
    const socket = connect(service.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(`POST ${ROUTES.jobs} HTTP/1.1\r\nHost: 127.0.0.1:${service.port}\r\nContent-Type: ${MULTIPART_TYPE}\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.end(body);
    socket.destroy();
    const deadline = Date.now() + 5000;
    while (!service.lines.some((l) => l.includes('no job created')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(service.lines.some((l) => l.includes('no job created'))).toBe(true);
    expect(service.lines.filter((l) => l.endsWith(' queued')).length).toBe(before);
  });

  it('10. steps × strength that runs no denoising step → 400 at submit naming both fields (sdxl)', async () => {
    const sdxl = await startTestService({ modelDir: 'fake-model' }); // the fake engines add sdxl when a model is set
    try {
      await waitForHealth(sdxl.url, (h) => h.engines.some((e) => e.name === 'sdxl' && e.state === 'ready'));
      const res = await postJob(sdxl.url, rawJobForm(crop, { engine: 'sdxl', steps: 2, strength: 0.3 }));
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('invalid_params');
      expect(error.message).toMatch(/params\.steps/);
      expect(error.message).toMatch(/params\.strength/);
      expect((await postJob(sdxl.url, rawJobForm(crop, { engine: 'sdxl', steps: 4, strength: 0.25, variations: 1 }))).status).toBe(202);
      // A removal repaints at REMOVE_STRENGTH (0.7), whatever params.strength says: that is the strength checked.
      const removal = { engine: 'auto', prompt: '', emptyPrompt: 'remove', variations: 1 } as const;
      const tooFew = await postJob(sdxl.url, rawJobForm(crop, { ...removal, steps: 1, strength: 1 }));
      expect(tooFew.status).toBe(400);
      const tooFewError = await errorOf(tooFew);
      expect(tooFewError.message).toMatch(/params\.steps/);
      expect(tooFewError.message).toMatch(/params\.strength/);
      expect((await postJob(sdxl.url, rawJobForm(crop, { ...removal, steps: 3, strength: 0.1 }))).status).toBe(202);
    } finally {
      await sdxl.close();
    }
  });

  it('answers CONNECT with a JSON 405 and closes', async () => {
    const text = await socketExchange(service.port, `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`);
    const { status, body } = parseResponse(text);
    expect(status).toBe(405);
    expect(body.error.code).toBe('method_not_allowed');
  });

  it('sets server timeouts for a local service and caps connections', () => {
    expect(service.server.headersTimeout).toBe(20_000);
    expect(service.server.requestTimeout).toBe(120_000);
    expect(service.server.keepAliveTimeout).toBe(10_000);
    expect(service.server.maxConnections).toBe(service.config.maxConnections);
  });
});

describe('3. part limits hold whatever the framing', () => {
  const limits: UploadLimits = { part: { params: 1024, image: 64 * 1024, mask: 64 * 1024 }, body: 256 * 1024 };
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const runner: EngineRunner = {
      engineStatuses: () => [{ name: 'classic', state: 'ready', model: 'none', provider: 'cpu', dtype: null, reason: null }],
      workerStatus: () => ({ state: 'running', restarts: 0, lastCrash: null }),
      run: () => new Promise(() => {}),
      close: async () => {},
    };
    const queue = new JobQueue({ runner, capacity: 4, retentionSeconds: 60, retainedBytes: 2 ** 30, log: silentLogger });
    const app = createApp({ queue, runner, log: silentLogger, version: 'test', bindHost: '127.0.0.1', allowedHosts: [], corsOrigins: [], token: null, uploadLimits: limits });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /**
   * Streams a chunked upload whose image part would be `partBytes`, 16 KiB at a time, until the answer comes;
   * returns the answer and how much had been sent by then.
   */
  function chunkedUpload(partBytes: number, partName = 'image'): Promise<{ status: number; code: string; sent: number }> {
    return new Promise((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = request({ port, method: 'POST', path: ROUTES.jobs, headers: { 'content-type': MULTIPART_TYPE, 'transfer-encoding': 'chunked' } }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error: { code: string } }).error.code, sent }));
      });
      req.on('error', (error) => {
        if (!answered) reject(error);
      });
      const head = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${partName}"; filename="blob"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      req.write(head);
      const slice = Buffer.alloc(16 * 1024, 7);
      const pump = () => {
        while (!answered && sent < partBytes) {
          sent += slice.length;
          if (!req.write(slice)) return void req.once('drain', () => setImmediate(pump));
        }
        if (!answered) req.end(`\r\n--${BOUNDARY}--\r\n`);
      };
      pump();
    });
  }

  it('a chunked part past its limit → 413 while it streams, long before the body ends', async () => {
    const planned = 32 * 2 ** 20;
    const outcome = await chunkedUpload(planned);
    expect(outcome.status).toBe(413);
    expect(outcome.code).toBe('payload_too_large');
    // The service answered (and stopped reading) early; only socket buffers lie between its limit and what was sent.
    expect(outcome.sent).toBeLessThan(planned / 2);
  });

  it('a params field past its limit → 413 as well (the field is counted while it streams)', async () => {
    const body = multipart([{ name: 'params', body: `{"prompt":"${'p'.repeat(4096)}"}` }]);
    const res = await fetch(`http://127.0.0.1:${port}${ROUTES.jobs}`, { method: 'POST', headers: { 'content-type': MULTIPART_TYPE }, body });
    expect(res.status).toBe(413);
    expect(UPLOAD_LIMITS.part.params).toBeGreaterThan(limits.part.params);
  });
});

describe('health, tokens and addresses', () => {
  it('11. with a token, health shows no job id to callers without it', async () => {
    const token = 'health-token-1';
    const service = await startTestService({ token });
    try {
      const res = await postJob(service.url, rawJobForm(crop, { prompt: 'slow', steps: 30, variations: 1 }), { Authorization: `Bearer ${token}` });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      await waitForHealth(service.url, () => true);
      let authed: Health;
      do authed = (await (await fetch(service.url + ROUTES.health, { headers: { Authorization: `Bearer ${token}` } })).json()) as Health;
      while (authed.queue.running !== id);
      const open = (await (await fetch(service.url + ROUTES.health)).json()) as Health;
      expect(open.queue.running).toBeNull();
      expect(JSON.stringify(open)).not.toContain(id);
      await fetch(service.url + ROUTES.job(id), { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
    } finally {
      await service.close();
    }
  });

  it("12. --host '[::1]' listens and serves", async () => {
    const service = await startTestService({ host: '[::1]' });
    try {
      expect(service.url).toBe(`http://[::1]:${service.port}`);
      expect((await fetch(service.url + ROUTES.health)).status).toBe(200);
    } finally {
      await service.close();
    }
  });
});

describe('multipart parts classified by declared size and bytes, not type or filename (issue #14)', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.close();
  });

  it('raw parts with filename "blob" and no Content-Type (UXP) are accepted as the declared raw pixels', async () => {
    const body = multipart([
      { name: 'params', body: rawParams() },
      { name: 'image', filename: 'blob', body: crop.image },
      { name: 'mask', filename: 'blob', body: crop.mask },
    ]);
    const res = await postBody(service.url, body);
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect((await waitForJob(service.url, id)).at(-1)!.state).toBe('succeeded');
  });

  it('PNG parts with filename "blob" and no Content-Type are decoded by their magic bytes', async () => {
    const png = await cropAsPng(crop);
    const body = multipart([
      { name: 'params', body: JSON.stringify({ prompt: 'x', steps: 2, strength: 1, variations: 1 }) },
      { name: 'image', filename: 'blob', body: png.image },
      { name: 'mask', filename: 'blob', body: png.mask },
    ]);
    const res = await postBody(service.url, body);
    expect(res.status).toBe(202);
  });

  it('a part that is neither declared raw nor an image → 415 naming it', async () => {
    const body = multipart([
      { name: 'params', body: JSON.stringify({ prompt: 'x', steps: 2, strength: 1 }) },
      { name: 'image', filename: 'blob', body: crop.image },
      { name: 'mask', filename: 'blob', body: crop.mask },
    ]);
    const res = await postBody(service.url, body);
    expect(res.status).toBe(415);
    expect((await errorOf(res)).field).toBe('image');
  });

  it('still accepts the FormData the tests and the panel build (typed parts)', async () => {
    const created = await submit(service.url, rawJobForm(crop, { steps: 1, variations: 1 }));
    expect((await waitForJob(service.url, created.id)).at(-1)!.state).toBe('succeeded');
  });
});
