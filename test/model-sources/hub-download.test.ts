/** `genfill model install` against a local fake hub: the cache layout, resume, idempotence, the CLI's output. */
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../service/cli';
import { findCachedSnapshot, repoCacheDir } from '../../service/models/hub-cache';
import { installFromHub, type InstallOptions } from '../../service/models/hub-download';
import { FakeHub, type FakeRepo, gitBlobId, sdxlLikeRepo, sha256 } from './fake-hub';

const UNET = 'unet/diffusion_pytorch_model.fp16.safetensors';
const EXPECTED_FILES = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  ...['tokenizer', 'tokenizer_2'].flatMap((t) => ['vocab.json', 'merges.txt', 'special_tokens_map.json', 'tokenizer_config.json'].map((f) => `${t}/${f}`)),
  'text_encoder/config.json',
  'text_encoder/model.fp16.safetensors',
  'text_encoder_2/config.json',
  'text_encoder_2/model.fp16.safetensors',
  'unet/config.json',
  'unet/diffusion_pytorch_model.fp16.safetensors',
  'vae/config.json',
  'vae/diffusion_pytorch_model.fp16.safetensors',
].sort();

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

describe('genfill model install (fake hub)', () => {
  let hub: FakeHub;
  let repo: FakeRepo;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const install = (options: Partial<InstallOptions> = {}) => installFromHub({ repoId: repo.repoId, env, retryDelayMs: 1, ...options });

  beforeEach(async () => {
    repo = sdxlLikeRepo();
    hub = await new FakeHub([repo]).start();
    home = await mkdtemp(join(tmpdir(), 'genfill-install-'));
    // HF_HOME in the temp folder: no token file of the user's is read.
    env = { HF_ENDPOINT: hub.endpoint, HF_HOME: home };
  });
  afterEach(async () => {
    await hub.close();
    await rm(home, { recursive: true, force: true });
  });

  it('fetches the fp16 files into the hub cache layout: blobs by etag, relative symlinks, refs/main', async () => {
    const result = await install();
    const repoDir = repoCacheDir(repo.repoId, join(home, 'hub'));
    expect(result.snapshotDir).toBe(join(repoDir, 'snapshots', repo.commit));
    expect(result.plan.weights.map((w) => `${w.component}:${w.variant}`).sort()).toEqual(['text_encoder:fp16', 'text_encoder_2:fp16', 'unet:fp16', 'vae:fp16']);
    expect(result.plan.notes).toEqual([]);
    expect(await listFiles(result.snapshotDir)).toEqual(EXPECTED_FILES);
    expect((await readFile(join(repoDir, 'refs', 'main'), 'utf8')).trim()).toBe(repo.commit);
    expect(findCachedSnapshot(repo.repoId, { cacheDir: join(home, 'hub') })).toBe(result.snapshotDir);

    const etags = new Map<string, number>();
    for (const path of EXPECTED_FILES) {
      const bytes = repo.files[path]!;
      const link = join(result.snapshotDir, path);
      expect((await lstat(link)).isSymbolicLink(), path).toBe(true);
      const etag = path.endsWith('.safetensors') ? sha256(bytes) : gitBlobId(bytes);
      etags.set(etag, bytes.length);
      const depth = path.split('/').length - 1;
      expect(await readlink(link)).toBe(join(...Array<string>(depth + 2).fill('..'), 'blobs', etag));
      expect((await readFile(link)).equals(bytes), path).toBe(true);
    }
    // Files with the same bytes (the two tokenizers' vocab.json, merges.txt …) share one blob; nothing else
    // (fp32, .bin, README, images) came.
    const blobs = await readdir(join(repoDir, 'blobs'));
    expect(blobs.sort()).toEqual([...etags.keys()].sort());
    expect(etags.size).toBeLessThan(EXPECTED_FILES.length);
    expect(blobs.some((b) => b.endsWith('.incomplete'))).toBe(false);
    const fetched = hub.requests.filter((r) => r.url.includes('/resolve/') || r.server === 'cdn');
    expect(fetched.some((r) => /\/(README\.md|inpaint-example\.png)$|\.bin\/|\.bin$|\/diffusion_pytorch_model\.safetensors|\/model\.safetensors/.test(r.url))).toBe(false);
    expect(result.downloadedBytes).toBe([...etags.values()].reduce((a, b) => a + b, 0));
    expect(await readdir(repoDir)).toEqual(expect.arrayContaining(['blobs', 'refs', 'snapshots']));
    expect(await readdir(repoDir)).not.toContain('.genfill-staging');
  });

  it('skips complete files on a second run (only the file list is fetched)', async () => {
    await install();
    const before = hub.requests.length;
    const again = await install();
    expect(again.downloadedBytes).toBe(0);
    expect(hub.requests.slice(before).map((r) => r.url)).toEqual([`/api/models/${repo.repoId}/revision/main?blobs=true`]);
  });

  it('resumes a dropped connection with a Range request and still verifies the whole file', async () => {
    hub.faults = [
      { path: UNET, kind: 'drop', at: 1_234_567, times: 1 },
      { path: UNET, kind: 'drop', at: 2_000_000, times: 1 },
    ];
    const result = await install();
    // Each retry asks for the rest from what reached the disk (up to the drop; chunks in flight are lost).
    const ranges = hub.fileRequests(UNET).filter((r) => r.server === 'cdn').map((r) => r.range);
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toBeUndefined();
    const [first, second] = ranges.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r ?? '')?.[1]));
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(1_234_567);
    expect(second).toBeGreaterThan(first!);
    expect(second).toBeLessThanOrEqual(2_000_000);
    expect((await readFile(join(result.snapshotDir, UNET))).equals(repo.files[UNET]!)).toBe(true);
  });

  it('drops a connection that stalls and resumes where it stopped', async () => {
    hub.faults = [{ path: UNET, kind: 'stall', at: 800_000, times: 1 }];
    const result = await install({ stallMs: 300 });
    const ranges = hub.fileRequests(UNET).filter((r) => r.server === 'cdn').map((r) => r.range);
    expect(ranges).toHaveLength(2);
    expect(Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1])).toBeGreaterThan(0);
    expect((await readFile(join(result.snapshotDir, UNET))).equals(repo.files[UNET]!)).toBe(true);
  });

  it('keeps the partial file when retries run out, leaves no snapshot or ref, and resumes on the next run', async () => {
    hub.faults = [
      { path: UNET, kind: 'drop', at: 1_000_000, times: 1 },
      { path: UNET, kind: 'drop', at: 1_500_000, times: 1 },
    ];
    const error = await install({ attempts: 2 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/unet\/diffusion_pytorch_model\.fp16\.safetensors: the download broke off 2 times/);
    expect((error as Error).message).toMatch(/MB of 3\.00 MB are kept; run the same command again to resume/);
    const repoDir = repoCacheDir(repo.repoId, join(home, 'hub'));
    expect(await readdir(repoDir)).not.toContain('snapshots');
    expect(await readdir(repoDir)).not.toContain('refs');
    const kept = (await stat(join(repoDir, 'blobs', `${sha256(repo.files[UNET]!)}.incomplete`))).size;
    expect(kept).toBeGreaterThan(1_000_000);
    expect(kept).toBeLessThanOrEqual(1_500_000);

    const before = hub.requests.length;
    const result = await install();
    const resumed = hub.requests.slice(before).filter((r) => r.server === 'cdn' && r.url.includes('/lfs/unet/'));
    expect(resumed.map((r) => r.range)).toEqual([`bytes=${kept}-`]);
    expect(result.downloadedBytes).toBe(repo.files[UNET]!.length - kept);
    expect((await readFile(join(result.snapshotDir, UNET))).equals(repo.files[UNET]!)).toBe(true);
  });

  it.each([
    ['ignores Range (200, the whole file)', 'ignore-range', 2],
    ['answers a resume with bytes from the wrong offset', 'wrong-range', 3],
  ] as const)('starts a file over when the server %s', async (_what, kind, requests) => {
    hub.faults = [
      { path: UNET, kind: 'drop', at: 500_000, times: 1 },
      { path: UNET, kind },
    ];
    const result = await install();
    const ranges = hub.fileRequests(UNET).filter((r) => r.server === 'cdn').map((r) => r.range);
    expect(ranges).toHaveLength(requests); // wrong bytes are discarded, then the file is fetched whole
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect((await readFile(join(result.snapshotDir, UNET))).equals(repo.files[UNET]!)).toBe(true);
  });

  it('sends HF_TOKEN to the hub but not to the CDN on another origin', async () => {
    env.HF_TOKEN = 'hf_secret';
    await install();
    expect(hub.requests.filter((r) => r.server === 'hub').every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    const cdn = hub.requests.filter((r) => r.server === 'cdn');
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('reads the token `hf auth login` saved under HF_HOME', async () => {
    await writeFile(join(home, 'token'), 'hf_saved\n');
    await install();
    expect(hub.requests[0]!.authorization).toBe('Bearer hf_saved');
  });

  it('where symlinks are refused (Windows without developer mode) the snapshot holds the files themselves', async () => {
    const refuse = () => Promise.reject(Object.assign(new Error('operation not permitted'), { code: 'EPERM' }));
    const result = await install({ symlink: refuse });
    for (const path of EXPECTED_FILES) {
      const entry = join(result.snapshotDir, path);
      expect((await lstat(entry)).isFile(), path).toBe(true);
      expect((await readFile(entry)).equals(repo.files[path]!), path).toBe(true);
    }
    const repoDir = repoCacheDir(repo.repoId, join(home, 'hub'));
    expect(await readdir(join(repoDir, 'blobs'))).toEqual([]); // moved, not copied: no second 7 GB
    const before = hub.requests.length;
    expect((await install({ symlink: refuse })).downloadedBytes).toBe(0);
    expect(hub.requests.length - before).toBe(1);
  });

  it('adds its files to a snapshot another tool already made, replacing nothing complete', async () => {
    const repoDir = repoCacheDir(repo.repoId, join(home, 'hub'));
    const snapshot = join(repoDir, 'snapshots', repo.commit);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(snapshot, 'unet'), { recursive: true });
    await writeFile(join(snapshot, 'unet', 'config.json'), repo.files['unet/config.json']!);
    await writeFile(join(snapshot, 'README.md'), 'kept');
    const result = await install();
    expect((await lstat(join(snapshot, 'unet', 'config.json'))).isFile()).toBe(true); // complete: left alone, not fetched
    expect(hub.fileRequests('unet/config.json')).toEqual([]);
    expect(await readFile(join(snapshot, 'README.md'), 'utf8')).toBe('kept');
    expect(await listFiles(result.snapshotDir)).toEqual([...EXPECTED_FILES, 'README.md'].sort());
  });

  it('installs another revision by commit hash without writing a ref', async () => {
    const result = await install({ revision: repo.commit });
    expect(result.commit).toBe(repo.commit);
    const repoDir = repoCacheDir(repo.repoId, join(home, 'hub'));
    expect(await readdir(repoDir)).not.toContain('refs');
  });

  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d));
    stderr.on('data', (d: Buffer) => (err += d));
    const code = await main(args, { stdout, stderr, env });
    return { code, out, err };
  }

  it('the CLI: `model` lists its commands, `model install --help` says where files go, extra arguments are refused', async () => {
    const group = await cli(['model']);
    expect(group.code).toBe(2);
    expect(group.out).toMatch(/genfill model install \[repo-id\]/);
    const help = await cli(['model', 'install', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain(`now ${join(home, 'hub')}`);
    expect(help.out).toContain('diffusers/stable-diffusion-xl-1.0-inpainting-0.1');
    const extra = await cli(['model', 'install', 'a/b', 'c/d']);
    expect(extra.code).toBe(1);
    expect(extra.err).toBe('genfill model: one repo id at most, got a/b c/d (see genfill model install --help)\n');
    expect((await cli(['model', 'fetch'])).code).toBe(2);
    expect(hub.requests).toEqual([]);
  });

  it('the CLI prints the plan, a progress line, the snapshot and how to use it', async () => {
    const { code, out, err } = await cli(['model', 'install', repo.repoId]);
    expect(err).toMatch(new RegExp(`${repo.repoId}: ${EXPECTED_FILES.length} files, 3\\.09 MB \\(text_encoder fp16, text_encoder_2 fp16, unet fp16, vae fp16\\) into ${join(home, 'hub')}`));
    expect(err).toMatch(/\[#{24}\] {2}100% {2}3\.09 MB \/ 3\.09 MB/);
    expect(code).toBe(0);
    const snapshot = join(home, 'hub', `models--test-org--sdxl-inpaint-tiny`, 'snapshots', repo.commit);
    expect(out).toContain(`${repo.repoId}@main (${repo.commit}) is installed (3.09 MB downloaded):\n  ${snapshot}\n`);
    expect(out).toContain(`npm start -- --model ${repo.repoId}`);

    const again = await cli(['model', 'install', repo.repoId]);
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/, all in the cache already\n$/);
    expect(again.err).not.toContain('%');
    expect(again.out).toContain(`${repo.repoId}@main (${repo.commit}) is installed:\n`);
  });
});
