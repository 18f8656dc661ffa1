/** `genfill model install` when things go wrong: corrupt bytes, auth, missing things, no hub, no disk, a stop. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../service/cli';
import { connectionError } from '../../service/models/hub-api';
import { repoCacheDir } from '../../service/models/hub-cache';
import { installFromHub, type InstallOptions } from '../../service/models/hub-download';
import { FakeHub, type FakeRepo, hubFailure, sdxlLikeRepo, sha256 } from './fake-hub';

const UNET = 'unet/diffusion_pytorch_model.fp16.safetensors';

describe('genfill model install: failures', () => {
  let hub: FakeHub;
  let repo: FakeRepo;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const repoDir = () => repoCacheDir(repo.repoId, join(home, 'hub'));
  const install = (options: Partial<InstallOptions> = {}) => installFromHub({ repoId: repo.repoId, env, retryDelayMs: 1, ...options });
  const entries = async (dir: string) => readdir(dir).catch(() => [] as string[]);

  async function startHub(...repos: FakeRepo[]): Promise<void> {
    await hub?.close();
    hub = await new FakeHub(repos).start();
    env.HF_ENDPOINT = hub.endpoint;
  }

  beforeEach(async () => {
    repo = sdxlLikeRepo();
    home = await mkdtemp(join(tmpdir(), 'genfill-install-'));
    env = { HF_HOME: home };
    await startHub(repo);
  });
  afterEach(async () => {
    await hub.close();
    await rm(home, { recursive: true, force: true });
  });

  it('a corrupt byte in a weights file: sha256 mismatch naming the file, the partial deleted, no snapshot', async () => {
    hub.faults = [{ path: UNET, kind: 'corrupt', at: 777_777 }];
    const error = await hubFailure(install());
    expect(error.kind).toBe('integrity');
    expect(error.message).toMatch(new RegExp(`^${UNET.replace(/\./g, '\\.')} does not match the hub's sha256 \\(expected ${sha256(repo.files[UNET]!)}, got [0-9a-f]{64}\\)`));
    expect(error.message).toMatch(/deleted; run the same command again/);
    const blobs = await entries(join(repoDir(), 'blobs'));
    expect(blobs.filter((b) => b.startsWith(sha256(repo.files[UNET]!)))).toEqual([]);
    expect(blobs.length).toBeGreaterThan(0); // the verified smaller files stay for the next run
    expect(await entries(repoDir())).not.toContain('snapshots');
    expect(await entries(repoDir())).not.toContain('refs');

    hub.faults = [];
    const result = await install();
    expect((await stat(join(result.snapshotDir, UNET))).size).toBe(repo.files[UNET]!.length);
  });

  it('a corrupt byte in a small file: git blob id mismatch naming it', async () => {
    hub.faults = [{ path: 'unet/config.json', kind: 'corrupt', at: 3 }];
    const error = await hubFailure(install());
    expect(error.message).toMatch(/^unet\/config\.json does not match the hub's git blob sha1 \(expected [0-9a-f]{40}, got [0-9a-f]{40}\)/);
  });

  it('unknown repo or private repo without a token → check the id, or set HF_TOKEN', async () => {
    const unknown = await hubFailure(install({ repoId: 'nobody/nothing' }));
    expect(unknown.message).toBe(
      `nobody/nothing was not found on the hub, or it is private (401: Repository not found): check the repo id; for a private repo set HF_TOKEN to an access token (${hub.endpoint}/settings/tokens).`,
    );
    await startHub({ ...repo, privateToken: 'hf_right' });
    expect((await hubFailure(install())).kind).toBe('auth');
    env.HF_TOKEN = 'hf_wrong';
    expect((await hubFailure(install())).message).toMatch(/not found on the hub, or the token in use cannot see it .*check the repo id and HF_TOKEN/);
    env.HF_TOKEN = 'hf_right';
    expect((await install()).commit).toBe(repo.commit);
  });

  it('gated repo → accept the conditions and set HF_TOKEN; nothing lands in snapshots/', async () => {
    await startHub({ ...repo, gatedToken: 'hf_granted' });
    const anonymous = await hubFailure(install());
    expect(anonymous.message).toBe(
      `${repo.repoId} is gated (401: Access to model is restricted. You must have access to it and be authenticated.): open ${hub.endpoint}/${repo.repoId}, accept its conditions while logged in, then set HF_TOKEN to an access token (${hub.endpoint}/settings/tokens) of that account.`,
    );
    expect(await entries(repoDir())).not.toContain('snapshots');
    env.HF_TOKEN = 'hf_not_granted';
    expect((await hubFailure(install())).message).toMatch(/is gated \(403.*run this again \(the token in use has no access yet\)/);
    env.HF_TOKEN = 'hf_granted';
    expect((await install()).commit).toBe(repo.commit);
  });

  it('unknown revision → says --revision; a listed file the hub does not serve → names it', async () => {
    expect((await hubFailure(install({ revision: 'v9' }))).message).toBe(
      `${repo.repoId} has no revision "v9" (404: Invalid rev id): --revision takes a branch, tag or commit hash.`,
    );
    hub.faults = [{ path: 'vae/config.json', kind: 'status', status: 404, errorCode: 'EntryNotFound', times: 1 }];
    expect((await hubFailure(install())).message).toBe(`${repo.repoId}@${repo.commit} lists vae/config.json but the hub does not serve it (404: injected 404).`);
  });

  it('a 503 is retried; one that persists fails naming the file', async () => {
    hub.faults = [{ path: UNET, kind: 'status', status: 503, times: 2 }];
    expect((await install()).downloadedBytes).toBeGreaterThan(0);
    hub.faults = [{ path: 'vae/config.json', kind: 'status', status: 503, times: 9 }];
    await rm(home, { recursive: true, force: true });
    const error = await hubFailure(install({ attempts: 3 }));
    expect(error.message).toMatch(/^vae\/config\.json: the download broke off 3 times \(last: The hub answered 503/);
  });

  it('no hub (connection refused): one message — what failed, that the hub could not be reached, that --model works', async () => {
    const port = hub.endpoint.split(':').pop();
    await hub.close();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d: Buffer) => (err += d));
    const code = await main(['model', 'install'], { stdout, stderr, env });
    expect(code).toBe(1);
    expect(err).toBe(
      [
        `genfill model: Could not reach the Hugging Face hub at http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}).`,
        'Check the network connection (and HF_ENDPOINT if you set it), then run the same command again: files already downloaded are kept.',
        'Without the hub, --model works with files you already have: npm start -- --model <folder>',
        '',
      ].join('\n'),
    );
    await startHub(repo); // afterEach closes it
  });

  it('DNS failure and TLS trouble read as such', () => {
    const dns = connectionError('https://huggingface.co', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND huggingface.co' } }));
    expect(dns.kind).toBe('unreachable');
    expect(dns.message).toMatch(/^Could not reach the Hugging Face hub at https:\/\/huggingface\.co \(getaddrinfo ENOTFOUND huggingface\.co\)\./);
    const tls = connectionError('https://huggingface.co', Object.assign(new TypeError('fetch failed'), { cause: { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' } }));
    expect(tls.kind).toBe('tls');
    expect(tls.message).toMatch(/NODE_EXTRA_CA_CERTS/);
  });

  it('HF_HUB_OFFLINE: says so without a request', async () => {
    env.HF_HUB_OFFLINE = '1';
    expect((await hubFailure(install())).message).toMatch(/^HF_HUB_OFFLINE is set.*--model <folder>$/);
    expect(hub.requests).toEqual([]);
  });

  it('checks free disk space before the first weight byte', async () => {
    await startHub({ ...repo, claimedSizes: { [UNET]: 1e15 } });
    const error = await hubFailure(install());
    expect(error.kind).toBe('disk');
    expect(error.message).toMatch(new RegExp(`^1000 TB more are needed in ${join(repoDir(), 'blobs')}, but .* are free: free some space, or point HF_HUB_CACHE \\(or HF_HOME\\) at a bigger disk\\.$`));
    expect(hub.requests.filter((r) => r.server === 'cdn')).toEqual([]);
  });

  it('a stop (Ctrl+C) keeps what arrived and says how to resume', async () => {
    const stop = new AbortController();
    const error = await hubFailure(install({ signal: stop.signal, onProgress: (p) => p.file === UNET && p.doneBytes > 2_000_000 && stop.abort() }));
    expect(error.kind).toBe('cancelled');
    expect(error.message).toMatch(new RegExp(`^Stopped during ${UNET.replace(/\./g, '\\.')} \\(.* of 3\\.00 MB kept\\); run the same command again to resume\\.$`));
    expect((await stat(join(repoDir(), 'blobs', `${sha256(repo.files[UNET]!)}.incomplete`))).size).toBeGreaterThan(0);
    expect(await entries(repoDir())).not.toContain('snapshots');
  });

  it('not a diffusers repo, pickled weights only, a bad repo id or revision: clear errors', async () => {
    const single = { repoId: 'org/single-file', commit: 'b'.repeat(40), files: { 'model.safetensors': Buffer.from('x') } };
    const pickled = sdxlLikeRepo('org/pickled', 'c'.repeat(40));
    for (const path of Object.keys(pickled.files)) if (path.startsWith('unet/') && path.endsWith('.safetensors')) delete pickled.files[path];
    await startHub(single, pickled);
    expect((await hubFailure(install({ repoId: single.repoId }))).message).toMatch(/^org\/single-file has no model_index\.json: .*use --model <file>\.$/);
    expect(await entries(join(home, 'hub'))).toEqual([]); // nothing created for a repo that cannot be installed
    expect((await hubFailure(install({ repoId: pickled.repoId }))).message).toBe(
      'org/pickled: unet/ has no .safetensors weights (diffusion_pytorch_model.bin); genfill reads safetensors only, never pickled .bin files',
    );
    expect((await hubFailure(install({ repoId: '../etc' }))).kind).toBe('usage');
    expect((await hubFailure(install({ repoId: single.repoId, revision: 'main/../../x' }))).kind).toBe('usage');
    env.HF_ENDPOINT = 'ftp://mirror';
    expect((await hubFailure(install())).message).toBe('HF_ENDPOINT "ftp://mirror" is not an http(s) URL');
  });

  it('refuses a second install of the same repo while the first one runs; takes over a dead one\'s lock', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(repoDir(), { recursive: true });
    await writeFile(join(repoDir(), '.genfill-install.lock'), String(process.pid));
    expect((await hubFailure(install())).message).toBe(
      `Another genfill model install (process ${process.pid}) is downloading ${repo.repoId} into this cache: let it finish, or stop it first.`,
    );
    expect(hub.requests.filter((r) => r.url.includes('/resolve/'))).toEqual([]);
    await writeFile(join(repoDir(), '.genfill-install.lock'), '999999999'); // no such process
    expect((await install()).commit).toBe(repo.commit);
    expect(await entries(repoDir())).not.toContain('.genfill-install.lock');
  });

  it('an endpoint that is not a hub says so', async () => {
    const server = createServer((_req, res) => res.end('<html>hello</html>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    env.HF_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await hubFailure(install())).message).toMatch(/did not answer JSON .*is HF_ENDPOINT a Hugging Face hub\?/);
    } finally {
      server.close();
    }
  });
});
