/**
 * Fuzzes the HTTP service (`npm run fuzz [-- --requests N --seconds S --seed N]`): a real service runs in a child
 * process on 127.0.0.1 (nothing else is contacted); this process sends at least N requests (default 10,000, within S
 * seconds) — valid and mutated jobs, broken multipart bodies, oversized and chunked parts, deep JSON, foreign Host
 * and Origin headers, random routes and methods, raw malformed HTTP — and reports:
 *   crashes (the service process died), 5xx answers, error answers that are not the JSON error body, answers that
 *   never came (connection dropped), and the service's event-loop delay (measured in the service process at 1 ms
 *   resolution while the fuzzer runs). Targets: 0 / 0 / 0, event-loop max ≤ 50 ms. Exit code 1 when one is missed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const ROUTES_POOL = ['/v1/health', '/v1/jobs', '/v1/jobs/ID', '/v1/jobs/ID/events', '/v1/jobs/ID/results/0', '/v1/jobs/ID/results/7', '/v1/jobs/ID/preview', '/', '/v1', '/v2/jobs', '/v1/jobs/../health', '/v1/%E0%A4%A', '/v1/jobs/ID/results/-1'];
/** Requests sent before the event-loop figures start (their own maximum is printed too). */
const WARMUP_REQUESTS = 300;
const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'];

// ----------------------------------------------------------------------------------------------------------------
// The service process

async function serve(): Promise<void> {
  const { startService } = await import('../service/main');
  const { createLogger } = await import('../service/log');
  // Errors only: an unhandled one (a 500) shows its stack.
  const service = await startService({ port: 0, drainSeconds: 0, queueCapacity: 4, retainedMegabytes: 256 }, { log: createLogger({ level: 'error' }) });
  while (service.runner.workerStatus().state !== 'running') await new Promise((resolve) => setTimeout(resolve, 20));
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const stats = () => ({ maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6, meanMs: histogram.mean / 1e6 });
  process.on('message', (message: string) => {
    if (message === 'warm') {
      process.send!(stats());
      histogram.reset();
    }
    if (message !== 'stats') return;
    histogram.disable();
    process.send!(stats());
    void service.close().then(() => process.exit(0));
  });
  process.send!({ port: service.port });
}

/**
 * A control: an idle Node process measuring its own event loop the same way, meanwhile. What it sees is the machine
 * (other processes taking the cores), not the service.
 */
function control(): void {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  process.on('message', (message: string) => {
    if (message === 'warm') histogram.reset();
    if (message !== 'stats') return;
    process.send!({ maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6, meanMs: histogram.mean / 1e6 });
    process.exit(0);
  });
}

// ----------------------------------------------------------------------------------------------------------------
// The fuzzer

/** xorshift32: the same seed gives the same requests. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

interface Outcome {
  status: number | null; // null = no answer
  contentType: string;
  body: Buffer;
  method: string;
}

interface Tally {
  requests: number;
  byStatus: Map<number, number>;
  fiveXX: string[];
  nonJsonErrors: string[];
  dropped: number;
  hung: string[];
  jobsCreated: number;
}

function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string' }, seconds: { type: 'string' }, seed: { type: 'string' }, concurrency: { type: 'string' } } });
  const target = Number(values.requests ?? 10_000);
  const seconds = Number(values.seconds ?? 180);
  const random = rng(Number(values.seed ?? 20261127));
  const concurrency = Number(values.concurrency ?? 12);

  const child: ChildProcess = fork(new URL(import.meta.url).pathname, ['--serve'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const idle: ChildProcess = fork(new URL(import.meta.url).pathname, ['--control'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(process: ChildProcess, message: string): Promise<T> =>
    new Promise((resolve) => {
      process.once('message', (reply: T) => resolve(reply));
      process.send(message);
    });
  let crashed: string | null = null;
  const ready = new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code, signal) => reject(new Error(`the service exited before it was ready (${code ?? signal})`)));
  });

  return ready.then(async (port) => {
    child.on('exit', (code, signal) => (crashed ??= `exit ${code ?? signal}`));
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const tally: Tally = { requests: 0, byStatus: new Map(), fiveXX: [], nonJsonErrors: [], dropped: 0, hung: [], jobsCreated: 0 };
    const ids: string[] = [];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const int = (n: number) => Math.floor(random() * n);

    const send = (method: string, path: string, headers: Record<string, string>, body?: Buffer | Buffer[], chunked = false): Promise<Outcome> =>
      new Promise((resolve) => {
        const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers }, agent }, (res) => {
          const chunks: Buffer[] = [];
          // An event stream never ends on its own: the first event is enough.
          if (String(res.headers['content-type']).startsWith('text/event-stream')) {
            const done = () => {
              req.destroy();
              resolve({ status: res.statusCode ?? 0, contentType: 'text/event-stream', body: Buffer.alloc(0), method });
            };
            if (method === 'HEAD') return done();
            res.once('data', done);
            res.once('close', done);
            return;
          }
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks), method }));
          // Cut short (the service closed mid-body, or the fuzzer timed out): what came is the answer.
          res.on('close', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks), method }));
        });
        req.on('error', () => resolve({ status: null, contentType: '', body: Buffer.alloc(0), method }));
        // A service that never answers is a finding: counted as hung.
        req.setTimeout(15_000, () => {
          tally.hung.push(`${method} ${path.slice(0, 80)}`);
          req.destroy();
        });
        if (chunked) req.setHeader('transfer-encoding', 'chunked');
        const parts = body === undefined ? [] : Array.isArray(body) ? body : [body];
        for (const part of parts) req.write(part);
        req.end();
      });

    /** Raw bytes on a fresh socket: whatever comes back before the close. */
    const sendRaw = (bytes: string): Promise<Outcome> =>
      new Promise((resolve) => {
        const socket = connect(port, '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', () => {});
        socket.on('close', () => {
          const text = Buffer.concat(chunks).toString('latin1');
          const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
          const headerEnd = text.indexOf('\r\n\r\n');
          const contentType = /content-type: ([^\r\n]+)/i.exec(text.slice(0, headerEnd))?.[1] ?? '';
          resolve({ status: status ? Number(status[1]) : null, contentType, body: Buffer.from(text.slice(headerEnd + 4), 'latin1'), method: 'RAW' });
        });
        socket.setTimeout(5000, () => socket.destroy());
        socket.end(bytes);
      });

    // --- generators -------------------------------------------------------------------------------------------
    const side = () => 16 + int(48);
    const rawCrop = () => {
      const w = side();
      const h = side();
      const channels = random() < 0.5 ? 3 : 4;
      const image = Buffer.alloc(w * h * channels);
      for (let i = 0; i < image.length; i++) image[i] = (i * 31) & 255;
      const mask = Buffer.alloc(w * h);
      mask.fill(255, (w * h) >> 2, (w * h * 3) >> 2);
      return { w, h, channels, image, mask };
    };
    const weird = (): unknown =>
      pick<() => unknown>([
        () => -1,
        () => 1e308,
        () => 'x'.repeat(int(3000)),
        () => null,
        () => [],
        () => ({}),
        () => true,
        () => '\u0000\uffff',
        () => JSON.parse(`${'['.repeat(50)}${']'.repeat(50)}`),
        () => Number.NaN,
      ])();
    const paramsFor = (crop: ReturnType<typeof rawCrop>) => {
      const params: Record<string, unknown> = {
        prompt: random() < 0.3 ? '' : 'fuzz',
        engine: pick(['auto', 'classic']),
        variations: 1 + int(2),
        steps: 1 + int(6),
        strength: 1,
        seed: int(1000),
        image: { width: crop.w, height: crop.h, channels: crop.channels },
        mask: { width: crop.w, height: crop.h, channels: 1 },
      };
      if (random() < 0.5) {
        const key = pick(['prompt', 'negativePrompt', 'steps', 'guidance', 'strength', 'seed', 'scheduler', 'variations', 'engine', 'emptyPrompt', 'image', 'mask', 'placement', 'client', 'unknown']);
        params[key] = weird();
      }
      return params;
    };
    const BOUNDARY = 'fuzzboundary';
    const part = (name: string, body: Buffer | string, filename?: string, type?: string) =>
      Buffer.concat([
        Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}${type ? `\r\nContent-Type: ${type}` : ''}\r\n\r\n`),
        Buffer.from(body),
        Buffer.from('\r\n'),
      ]);
    const end = Buffer.from(`--${BOUNDARY}--\r\n`);
    const multipartType = `multipart/form-data; boundary=${BOUNDARY}`;

    const cases: (() => Promise<Outcome>)[] = [
      // A job, valid or with one parameter mutated; parts typed, untyped (UXP), or as files.
      async () => {
        const crop = rawCrop();
        const typed = random() < 0.5;
        const out = await send('POST', '/v1/jobs', { 'content-type': multipartType }, [
          part('params', JSON.stringify(paramsFor(crop)), random() < 0.2 ? 'p.json' : undefined),
          part('image', crop.image, 'blob', typed ? 'application/octet-stream' : undefined),
          part('mask', crop.mask, 'blob', typed ? 'application/octet-stream' : undefined),
          end,
        ]);
        if (out.status === 202) {
          tally.jobsCreated++;
          ids.push((JSON.parse(out.body.toString('utf8')) as { id: string }).id);
        }
        return out;
      },
      // Structurally broken multipart.
      () => {
        const crop = rawCrop();
        const pieces = [part('params', JSON.stringify(paramsFor(crop))), part('image', crop.image, 'blob'), part('mask', crop.mask, 'blob'), end];
        const mutation = int(8);
        if (mutation === 0) pieces.splice(int(3), 1); // a part missing
        if (mutation === 1) pieces.splice(int(3), 0, part(pick(['image', 'params', 'other', '']), 'dup', 'x')); // extra or duplicate
        if (mutation === 2) pieces.pop(); // no closing boundary
        if (mutation === 3) pieces[int(3)] = Buffer.from(`--${BOUNDARY}\r\nX: ${'y'.repeat(int(20000))}\r\n\r\nz\r\n`); // no disposition, long header
        if (mutation === 4) pieces[int(4)] = Buffer.from(Array.from({ length: int(5000) }, () => int(256)));
        const body = Buffer.concat(pieces);
        const cut = mutation === 5 ? body.subarray(0, int(body.length)) : body;
        const type = mutation === 6 ? pick(['multipart/form-data', 'multipart/form-data; boundary=', 'application/json', 'text/plain', `multipart/form-data; boundary="${'b'.repeat(300)}"`]) : multipartType;
        return send('POST', '/v1/jobs', { 'content-type': type }, cut, mutation === 7);
      },
      // Oversized parts, chunked: a params field, a params file, deep nesting.
      () => {
        const kind = int(3);
        const params = kind === 0 ? `{"prompt":"${'p'.repeat(70_000 + int(200_000))}"}` : kind === 1 ? `${'['.repeat(60_000)}` : `{"prompt":"x","client":${'['.repeat(2000 + int(10_000))}${']'.repeat(2000)}}`;
        return send('POST', '/v1/jobs', { 'content-type': multipartType }, [part('params', params, kind === 1 ? 'p.json' : undefined), end], true);
      },
      // Random routes, methods, queries and headers.
      () => {
        const id = ids.length && random() < 0.7 ? pick(ids) : random() < 0.5 ? 'x'.repeat(int(3000)) : crypto.randomUUID();
        const path = pick(ROUTES_POOL).replace('ID', id) + (random() < 0.4 ? `?format=${pick(['png', 'raw', 'jpeg', 'gif', '%ZZ', 'x'.repeat(500)])}&maxSide=${pick(['16', '64', '0', '-1', '9999999', 'abc', '1e3'])}` : '');
        const headers: Record<string, string> = {};
        if (random() < 0.2) headers.origin = pick(['https://evil.example', 'null', `http://127.0.0.1:${port}`, 'x'.repeat(int(2000))]);
        if (random() < 0.2) headers.accept = pick(['application/octet-stream', 'image/*', '*/*', 'text/html;q=0.1, application/octet-stream;q=0.9']);
        if (random() < 0.1) headers.authorization = pick(['Bearer x', 'Basic abc', 'Bearer ' + 'a'.repeat(5000)]);
        if (random() < 0.1) headers.host = pick(['evil.example', 'localhost', `[::1]:${port}`, '127.0.0.1:1', '']);
        return send(pick(METHODS), path, headers);
      },
      // Raw malformed HTTP.
      () =>
        sendRaw(
          pick([
            'GET /v1/health HTTP/1.1\r\n\r\n',
            'GARBAGE\r\n\r\n',
            `GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX: ${'a'.repeat(20_000 + int(60_000))}\r\n\r\n`,
            `POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: abc\r\n\r\n`,
            `POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
            `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`,
            `GET /v1/he\u0000alth HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
            `GET /v1/health HTTP/9.9\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
          ]),
        ),
    ];
    const weights = [0.2, 0.25, 0.05, 0.42, 0.08];

    const record = (outcome: Outcome, label: string) => {
      tally.requests++;
      if (outcome.status === null) return void tally.dropped++;
      tally.byStatus.set(outcome.status, (tally.byStatus.get(outcome.status) ?? 0) + 1);
      if (outcome.status >= 500) tally.fiveXX.push(`${label} → ${outcome.status} ${outcome.body.toString('utf8').slice(0, 200)}`);
      if (outcome.status >= 400 && outcome.method !== 'HEAD') {
        let ok = outcome.contentType.startsWith('application/json');
        try {
          const error = (JSON.parse(outcome.body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } }).error;
          ok &&= typeof error?.code === 'string' && typeof error.message === 'string';
        } catch {
          ok = false;
        }
        if (!ok) tally.nonJsonErrors.push(`${label} → ${outcome.status} ${outcome.contentType} ${outcome.body.toString('utf8').slice(0, 120)}`);
      }
    };

    const inFlight = new Set<{ label: string; since: number }>();
    let started = Date.now();
    const deadline = started + seconds * 1000;
    const worker = async (until: () => boolean) => {
      while (!until() && Date.now() < deadline && !crashed) {
        let r = random();
        let index = 0;
        while (r > weights[index]) r -= weights[index++];
        const label = `case ${index}`;
        const mark = { label, since: Date.now() };
        inFlight.add(mark);
        record(await cases[index](), label);
        inFlight.delete(mark);
      }
    };
    const progress = setInterval(() => {
      const stuck = [...inFlight].filter((m) => Date.now() - m.since > 10_000).map((m) => m.label);
      console.log(`  … ${tally.requests} requests, ${((Date.now() - started) / 1000).toFixed(0)} s${stuck.length ? `; waiting > 10 s: ${stuck.join(', ')}` : ''}`);
    }, 10_000);
    // Warm-up: the first requests of each kind load and compile code paths (a one-time cost, reported apart).
    const warmupRequests = Math.min(WARMUP_REQUESTS, target);
    await Promise.all(Array.from({ length: concurrency }, () => worker(() => tally.requests >= warmupRequests)));
    const warm = await ask<{ maxMs: number }>(child, 'warm');
    idle.send('warm');
    const counted = tally.requests;
    started = Date.now();
    await Promise.all(Array.from({ length: concurrency }, () => worker(() => tally.requests >= counted + target)));
    clearInterval(progress);
    const elapsed = (Date.now() - started) / 1000;
    agent.destroy();

    type LoopStats = { maxMs: number; p99Ms: number; meanMs: number };
    const loop = crashed ? null : await ask<LoopStats>(child, 'stats');
    const idleLoop = await ask<LoopStats>(idle, 'stats');

    const statuses = [...tally.byStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min); event-loop delays include time the OS gave other processes`);
    console.log(`fuzz: ${tally.requests} requests (${counted} of them warm-up) in ${elapsed.toFixed(1)} s after the warm-up (concurrency ${concurrency}, ${tally.jobsCreated} jobs created)`);
    console.log(`  statuses: ${statuses}; no answer (connection closed first): ${tally.dropped}, of which hung (no answer in 15 s): ${tally.hung.length}`);
    for (const line of tally.hung.slice(0, 5)) console.log(`    hung: ${line}`);
    console.log(`  crashes ${crashed ? 1 : 0} / 5xx ${tally.fiveXX.length} / non-JSON errors ${tally.nonJsonErrors.length} (target 0 / 0 / 0)${crashed ? ` — ${crashed}` : ''}`);
    for (const line of [...tally.fiveXX, ...tally.nonJsonErrors].slice(0, 10)) console.log(`    ${line}`);
    if (loop) console.log(`  service event-loop delay (1 ms resolution, after the warm-up): mean ${loop.meanMs.toFixed(1)} ms, p99 ${loop.p99Ms.toFixed(1)} ms, max ${loop.maxMs.toFixed(1)} ms (target max ≤ 50 ms); during the warm-up: max ${warm.maxMs.toFixed(1)} ms`);
    console.log(`  an idle Node process on the same machine meanwhile (the machine's share): p99 ${idleLoop.p99Ms.toFixed(1)} ms, max ${idleLoop.maxMs.toFixed(1)} ms`);
    // The service shuts down gracefully once asked; a shutdown that hangs is a finding too.
    const stopAsked = Date.now();
    const exited = await new Promise<boolean>((resolve) => {
      if (child.exitCode !== null || crashed) return resolve(true);
      const timer = setTimeout(() => resolve(false), 40_000);
      child.once('exit', () => (clearTimeout(timer), resolve(true)));
    });
    console.log(`  graceful shutdown: ${exited ? `${((Date.now() - stopAsked) / 1000).toFixed(1)} s` : 'HUNG (killed after 40 s)'}`);
    if (!exited) child.kill('SIGKILL');
    const failed = !exited || crashed !== null || tally.hung.length > 0 || tally.fiveXX.length > 0 || tally.nonJsonErrors.length > 0 || tally.requests < counted + target || !loop || loop.maxMs > 50;
    process.exitCode = failed ? 1 : 0;
  });
}

if (process.argv.includes('--serve')) await serve();
else if (process.argv.includes('--control')) control();
else await main();
