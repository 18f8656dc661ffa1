/**
 * A local stand-in for the Hugging Face hub (node:http on 127.0.0.1, ephemeral ports), so download tests never touch
 * the network. Like the real hub it serves `GET /api/models/{repo}/revision/{rev}?blobs=true` (commit, siblings with
 * size, git blob id and lfs.sha256) and `GET /{repo}/resolve/{rev}/{path}`, redirecting LFS files to a CDN on another
 * origin; both honour `Range: bytes=N-`. Faults are injected per file: a connection dropped mid-file, a corrupt byte,
 * an HTTP status; every request is recorded for assertions.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { HubError } from '../../service/models/hub-api';
import { modelIndexConfig } from '../models/tiny/configs';

export interface FakeRepo {
  repoId: string;
  commit: string;
  /** Branch names that point at `commit`; default ['main']. */
  branches?: string[];
  files: Record<string, Buffer>;
  /** Files are LFS when this says so; default: weights (.safetensors, .bin). */
  isLfs?: (path: string) => boolean;
  /** Needs `Authorization: Bearer <token>` for everything (else 401 RepoNotFound, as the hub hides private repos). */
  privateToken?: string;
  /** Needs this token for file downloads (the list stays public, as on the hub). */
  gatedToken?: string;
  /** Sizes the file list claims instead of the real ones. */
  claimedSizes?: Record<string, number>;
}

export type Fault =
  /** Send the file up to byte `at`, then drop the connection (or, `stall`, keep it open and send nothing more). */
  | { path: string; kind: 'drop' | 'stall'; at: number; times: number }
  /** Flip one byte of what is sent (every time). */
  | { path: string; kind: 'corrupt'; at: number }
  /** Answer with a bare status (plus an X-Error-Code header when given). */
  | { path: string; kind: 'status'; status: number; errorCode?: string; times: number }
  /** Answer Range requests with the whole file (200), as some mirrors do. */
  | { path: string; kind: 'ignore-range' }
  /** Answer Range requests with 206 but the bytes from 0 (a broken mirror or proxy). */
  | { path: string; kind: 'wrong-range' };

export interface RecordedRequest {
  server: 'hub' | 'cdn';
  url: string;
  range: string | undefined;
  authorization: string | undefined;
}

const defaultIsLfs = (path: string) => /\.(safetensors|bin)$/.test(path);

export function gitBlobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What git stores for an LFS file; its blob id is the `blobId` the hub lists for it. */
function lfsPointer(bytes: Buffer): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(bytes)}\nsize ${bytes.length}\n`);
}

export class FakeHub {
  readonly requests: RecordedRequest[] = [];
  faults: Fault[] = [];
  private readonly repos = new Map<string, FakeRepo>();
  private hub?: Server;
  private cdn?: Server;
  endpoint = '';
  private cdnBase = '';

  constructor(repos: FakeRepo[]) {
    for (const repo of repos) this.repos.set(repo.repoId, repo);
  }

  /** `names`: the host names the endpoint and the CDN redirects use (proxy tests give names only their proxy knows). */
  async start(names: { hub: string; cdn: string } = { hub: '127.0.0.1', cdn: '127.0.0.1' }): Promise<this> {
    this.hub = await listen((req, res) => this.serveHub(req, res));
    this.cdn = await listen((req, res) => this.serveCdn(req, res));
    this.endpoint = `http://${names.hub}:${(this.hub.address() as AddressInfo).port}`;
    this.cdnBase = `http://${names.cdn}:${(this.cdn.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
  }

  fileRequests(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.url.endsWith(`/${path}`) || r.url.includes(`/lfs/${path}/`));
  }

  private record(server: RecordedRequest['server'], req: IncomingMessage): void {
    this.requests.push({ server, url: req.url ?? '', range: req.headers.range, authorization: req.headers.authorization });
  }

  private serveHub(req: IncomingMessage, res: ServerResponse): void {
    this.record('hub', req);
    const url = new URL(req.url ?? '/', 'http://x');
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repo = this.repos.get(decodeURIComponent((api ?? resolve)?.[1] ?? ''));
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    if (!repo || (repo.privateToken && token !== repo.privateToken)) return error(res, 401, 'RepoNotFound', 'Repository not found');
    const revision = decodeURIComponent((api ?? resolve)![2]!);
    if (revision !== repo.commit && !(repo.branches ?? ['main']).includes(revision)) return error(res, 404, 'RevisionNotFound', 'Invalid rev id');

    if (api) {
      const isLfs = repo.isLfs ?? defaultIsLfs;
      const siblings = Object.entries(repo.files).map(([path, bytes]) => {
        const size = repo.claimedSizes?.[path] ?? bytes.length;
        return isLfs(path)
          ? { rfilename: path, size, blobId: gitBlobId(lfsPointer(bytes)), lfs: { sha256: sha256(bytes), size, pointerSize: lfsPointer(bytes).length } }
          : { rfilename: path, size, blobId: gitBlobId(bytes) };
      });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: repo.repoId, sha: repo.commit, private: Boolean(repo.privateToken), gated: repo.gatedToken ? 'manual' : false, siblings }));
      return;
    }
    if (!resolve) return error(res, 404, undefined, 'Not found');
    if (repo.gatedToken && token !== repo.gatedToken) {
      return error(res, token ? 403 : 401, 'GatedRepo', 'Access to model is restricted. You must have access to it and be authenticated.');
    }
    const path = decodeURIComponent(resolve[3]!);
    const bytes = repo.files[path];
    if (!bytes) return error(res, 404, 'EntryNotFound', 'Entry not found');
    if (this.statusFault(path, res)) return;
    if ((repo.isLfs ?? defaultIsLfs)(path)) {
      res.writeHead(302, { location: `${this.cdnBase}/lfs/${path}/${repo.repoId}/${sha256(bytes)}`, 'x-linked-etag': `"${sha256(bytes)}"`, 'x-linked-size': bytes.length });
      res.end();
      return;
    }
    this.sendBytes(path, bytes, req, res);
  }

  private serveCdn(req: IncomingMessage, res: ServerResponse): void {
    this.record('cdn', req);
    const match = /^\/lfs\/(.+)\/([^/]+\/[^/]+)\/([0-9a-f]{64})$/.exec(req.url ?? '');
    const bytes = match && this.repos.get(match[2]!)?.files[match[1]!];
    if (!match || !bytes || sha256(bytes) !== match[3]) return error(res, 404, undefined, 'no such object');
    this.sendBytes(match[1]!, bytes, req, res);
  }

  private statusFault(path: string, res: ServerResponse): boolean {
    const fault = this.faults.find((f) => f.path === path && f.kind === 'status' && f.times > 0);
    if (fault?.kind !== 'status') return false;
    fault.times -= 1;
    error(res, fault.status, fault.errorCode, `injected ${fault.status}`);
    return true;
  }

  private sendBytes(path: string, original: Buffer, req: IncomingMessage, res: ServerResponse): void {
    const faults = this.faults.filter((f) => f.path === path);
    let bytes = original;
    const corrupt = faults.find((f) => f.kind === 'corrupt');
    if (corrupt?.kind === 'corrupt') {
      bytes = Buffer.from(original);
      bytes[corrupt.at] = bytes[corrupt.at]! ^ 0xff;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range && !faults.some((f) => f.kind === 'ignore-range') ? Number(range[1]) : 0;
    if (start >= bytes.length && bytes.length > 0) {
      res.writeHead(416, { 'content-range': `bytes */${bytes.length}` });
      res.end();
      return;
    }
    if (start > 0 && faults.some((f) => f.kind === 'wrong-range')) {
      res.writeHead(206, { 'content-length': bytes.length, 'content-range': `bytes 0-${bytes.length - 1}/${bytes.length}` });
      res.end(bytes);
      return;
    }
    const headers = { 'content-length': bytes.length - start, etag: `"${sha256(original)}"`, 'accept-ranges': 'bytes' };
    if (start > 0) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` });
    else res.writeHead(200, headers);
    const cut = faults.find((f) => (f.kind === 'drop' || f.kind === 'stall') && f.times > 0 && f.at > start);
    if (cut?.kind === 'drop' || cut?.kind === 'stall') {
      cut.times -= 1;
      res.write(bytes.subarray(start, cut.at), () => cut.kind === 'drop' && res.socket?.destroy());
      return;
    }
    res.end(bytes.subarray(start));
  }
}

function error(res: ServerResponse, status: number, code: string | undefined, message: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-error-message': message };
  if (code) headers['x-error-code'] = code;
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: message }));
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** Deterministic bytes, so a failing test shows the same files twice. */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A diffusers SDXL-inpainting-shaped repo with tiny files: fp16 and fp32 safetensors, .bin weights, extras. */
export function sdxlLikeRepo(repoId = 'test-org/sdxl-inpaint-tiny', commit = 'a'.repeat(40)): FakeRepo {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value, null, 2));
  const vocab = json({ '<|startoftext|>': 49406, '<|endoftext|>': 49407, a: 320 });
  const tokenizer = (seed: number) => ({
    'vocab.json': vocab, // identical in both tokenizers: one shared blob, as in the real repo
    'merges.txt': Buffer.from('#version: 0.2\na b\n'),
    'special_tokens_map.json': json({ pad_token: seed === 1 ? '<|endoftext|>' : '!' }),
    'tokenizer_config.json': json({ model_max_length: 77 }),
  });
  const network = (folder: string, weights: string, size: number, seed: number, withBin = true) => ({
    [`${folder}/config.json`]: json({ _class_name: folder, seed }),
    [`${folder}/${weights}.fp16.safetensors`]: pseudoRandomBytes(size, seed),
    [`${folder}/${weights}.safetensors`]: pseudoRandomBytes(size * 2, seed + 100),
    ...(withBin && { [`${folder}/${weights}.bin`]: pseudoRandomBytes(size * 2, seed + 200) }),
  });
  const files: Record<string, Buffer> = {
    'model_index.json': json(modelIndexConfig()),
    'README.md': Buffer.from('# tiny\n'),
    'inpaint-example.png': pseudoRandomBytes(5000, 9),
    'scheduler/scheduler_config.json': json({ _class_name: 'EulerDiscreteScheduler' }),
    ...Object.fromEntries(Object.entries(tokenizer(1)).map(([k, v]) => [`tokenizer/${k}`, v])),
    ...Object.fromEntries(Object.entries(tokenizer(2)).map(([k, v]) => [`tokenizer_2/${k}`, v])),
    ...network('text_encoder', 'model', 20_000, 1),
    ...network('text_encoder_2', 'model', 40_000, 2),
    ...network('vae', 'diffusion_pytorch_model', 30_000, 3, false),
    ...network('unet', 'diffusion_pytorch_model', 3_000_000, 4),
  };
  return { repoId, commit, files };
}

/** The HubError a failed install rejects with (the test fails if it resolves, or rejects with anything else). */
export async function hubFailure(promise: Promise<unknown>): Promise<HubError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HubError);
  return error as HubError;
}
