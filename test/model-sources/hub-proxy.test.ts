/**
 * `genfill model install` behind a proxy. The fake hub and its CDN are addressed as *.genfill.invalid, names that do
 * not resolve: only the test's forward proxy maps them to the fake hub, so an install that succeeds went through it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../service/cli';
import { installFromHub, type InstallOptions } from '../../service/models/hub-download';
import { hubFetchFor, proxyFailure, proxyLabel, proxySettings } from '../../service/models/hub-proxy';
import { FakeHub, type FakeRepo, hubFailure, sdxlLikeRepo, sha256 } from './fake-hub';
import { ForwardProxy } from './forward-proxy';

const UNET = 'unet/diffusion_pytorch_model.fp16.safetensors';
const NAMES = { hub: 'hub.genfill.invalid', cdn: 'cdn.genfill.invalid' };

/** A port nothing listens on (listened on, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('genfill model install through a proxy', () => {
  let hub: FakeHub;
  let proxy: ForwardProxy;
  let repo: FakeRepo;
  let home: string;
  const install = (env: NodeJS.ProcessEnv, options: Partial<InstallOptions> = {}) =>
    installFromHub({ repoId: repo.repoId, env: { HF_HOME: home, HF_ENDPOINT: hub.endpoint, ...env }, retryDelayMs: 1, ...options });
  const snapshotBytes = async (snapshotDir: string, path: string) => readFile(join(snapshotDir, path));

  beforeEach(async () => {
    repo = sdxlLikeRepo();
    hub = await new FakeHub([repo]).start(NAMES);
    home = await mkdtemp(join(tmpdir(), 'genfill-proxy-'));
  });
  afterEach(async () => {
    await hub.close();
    await proxy?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('HTTP_PROXY: the file list, every file and the CDN downloads go through the proxy, and the files verify', async () => {
    proxy = await new ForwardProxy().start();
    const result = await install({ HTTP_PROXY: proxy.url() });

    expect(sha256(await snapshotBytes(result.snapshotDir, UNET))).toBe(sha256(repo.files[UNET]!));
    expect((await snapshotBytes(result.snapshotDir, 'unet/config.json')).equals(repo.files['unet/config.json']!)).toBe(true);
    const targets = proxy.requests.map((r) => r.target);
    expect(targets).toContain(`${hub.endpoint}/api/models/${repo.repoId}/revision/main?blobs=true`);
    expect(targets).toContain(`${hub.endpoint}/${repo.repoId}/resolve/${repo.commit}/${UNET}`);
    expect(targets.filter((t) => t.startsWith(`http://${NAMES.cdn}:`))).toHaveLength(4); // the four fp16 weights, redirected
    expect(targets.every((t) => t.startsWith(`http://${NAMES.hub}:`) || t.startsWith(`http://${NAMES.cdn}:`))).toBe(true);
    // Every request the hub and CDN saw came through the proxy (the names resolve nowhere else).
    expect(proxy.requests).toHaveLength(hub.requests.length);
  });

  it('an interrupted file resumes with a Range request through the proxy; lower-case http_proxy wins over HTTP_PROXY', async () => {
    proxy = await new ForwardProxy().start();
    hub.faults = [{ path: UNET, kind: 'drop', at: 1_000_000, times: 1 }];
    const result = await install({ http_proxy: proxy.url(), HTTP_PROXY: `http://127.0.0.1:${await closedPort()}` });

    expect(sha256(await snapshotBytes(result.snapshotDir, UNET))).toBe(sha256(repo.files[UNET]!));
    const unet = proxy.requests.filter((r) => r.target.includes(`/lfs/${UNET}/`));
    expect(unet).toHaveLength(2);
    expect(unet[0]!.range).toBeUndefined();
    // The proxy may not have passed on every byte the hub sent before the drop: the resume starts where the partial ends.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(unet[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(1_000_000);
    expect(hub.fileRequests(UNET).filter((r) => r.server === 'cdn').map((r) => r.range)).toEqual([undefined, `bytes=${resumedAt}-`]);
  });

  it('a proxy login in the URL (user:password, percent-encoded) is sent with every request', async () => {
    proxy = await new ForwardProxy({ login: 'alice:s3cr@t' }).start();
    // HTTPS_PROXY (unreachable) serves https URLs only: the http hub goes through HTTP_PROXY.
    const result = await install({ HTTPS_PROXY: 'http://unused.genfill.invalid:1', HTTP_PROXY: proxy.url('alice:s3cr%40t') });

    expect(sha256(await snapshotBytes(result.snapshotDir, UNET))).toBe(sha256(repo.files[UNET]!));
    expect(new Set(proxy.requests.map((r) => r.proxyAuthorization))).toEqual(new Set([`Basic ${Buffer.from('alice:s3cr@t').toString('base64')}`]));
    expect(hub.requests.length).toBe(proxy.requests.length);
  });

  it('407 from the proxy: one message naming the proxy (never the password) and how to log in', async () => {
    proxy = await new ForwardProxy({ login: 'alice:right' }).start();
    const wrong = await hubFailure(install({ HTTP_PROXY: proxy.url('alice:wrong-password') }));
    expect(wrong.kind).toBe('auth');
    expect(wrong.retryable).toBe(false);
    expect(wrong.message).toBe(
      [
        `The proxy http://alice@127.0.0.1:${proxy.port} (HTTP_PROXY) asks for a login (407 Proxy Authentication Required).`,
        'It refused the user name and password in HTTP_PROXY: check them (write @ : / % in them percent-encoded, e.g. %40 for @).',
        'A proxy that accepts only Windows (NTLM/Kerberos) logins needs a local helper proxy such as cntlm or px in between.',
      ].join('\n'),
    );
    expect(wrong.message).not.toMatch(/wrong-password/);

    const none = await hubFailure(install({ http_proxy: proxy.url() }));
    expect(none.message.split('\n')[1]).toBe(`Put yours into http_proxy: http://USER:PASSWORD@127.0.0.1:${proxy.port} (write @ : / % in them percent-encoded, e.g. %40 for @).`);
    expect(hub.requests).toEqual([]);
  });

  it('an https hub through HTTPS_PROXY tunnels with CONNECT: a 407 or a refused tunnel is explained', async () => {
    proxy = await new ForwardProxy({ login: 'bob:pw' }).start();
    const login = await hubFailure(install({ HF_ENDPOINT: 'https://hub.genfill.invalid', HTTPS_PROXY: proxy.url() }));
    expect(login.kind).toBe('auth');
    expect(login.message).toMatch(new RegExp(`^The proxy http://127\\.0\\.0\\.1:${proxy.port} \\(HTTPS_PROXY\\) asks for a login \\(407`));
    expect(proxy.requests.map((r) => `${r.method} ${r.target}`)).toEqual(['CONNECT hub.genfill.invalid:443']);
    // HTTP_PROXY set alone serves https too (undici's rule).
    expect((await hubFailure(install({ HF_ENDPOINT: 'https://hub.genfill.invalid:8443', HTTP_PROXY: proxy.url() }))).message).toMatch(/\(HTTP_PROXY\) asks for a login/);
    expect(proxy.requests.at(-1)?.target).toBe('hub.genfill.invalid:8443');
    await proxy.close();

    proxy = await new ForwardProxy({ connectStatus: 403 }).start();
    const refused = await hubFailure(install({ HF_ENDPOINT: 'https://hub.genfill.invalid', https_proxy: proxy.url() }));
    expect(refused.kind).toBe('unreachable');
    expect(refused.message).toBe(
      [
        `The proxy http://127.0.0.1:${proxy.port} (https_proxy) would not open a connection to hub.genfill.invalid or a download server it redirects to (it answered 403).`,
        'Ask whoever runs the proxy to allow the Hugging Face hub; a host you can reach directly goes in NO_PROXY.',
      ].join('\n'),
    );
  });

  it('an unreachable proxy: one message naming it (refused, or its name unknown), through the CLI too', async () => {
    const port = await closedPort();
    const refused = await hubFailure(install({ HTTP_PROXY: `http://carol:hunter2@127.0.0.1:${port}` }));
    expect(refused.kind).toBe('unreachable');
    expect(refused.message).toBe(
      [
        `Could not reach the proxy http://carol@127.0.0.1:${port} (HTTP_PROXY) (connect ECONNREFUSED 127.0.0.1:${port}).`,
        'Check the address in HTTP_PROXY and that the proxy is up, or unset it to connect directly; then run the same command again: files already downloaded are kept.',
      ].join('\n'),
    );

    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d: Buffer) => (err += d));
    const env = { HF_HOME: home, HF_ENDPOINT: hub.endpoint, HTTP_PROXY: 'proxy.genfill.invalid:3128' };
    expect(await main(['model', 'install', repo.repoId], { stdout: new PassThrough(), stderr, env })).toBe(1);
    expect(err).toMatch(/^genfill model: Could not reach the proxy http:\/\/proxy\.genfill\.invalid:3128 \(HTTP_PROXY\) \(getaddrinfo ENOTFOUND proxy\.genfill\.invalid\)\.\nCheck the address in HTTP_PROXY/);
    expect(hub.requests).toEqual([]);
  });

  it('NO_PROXY (a leading-dot domain, host:port, or *) goes direct, so the unresolvable name fails as offline', async () => {
    proxy = await new ForwardProxy().start();
    const port = new URL(hub.endpoint).port;
    for (const noProxy of ['.genfill.invalid', `example.com, hub.genfill.invalid:${port}`, '*']) {
      const error = await hubFailure(install({ HTTP_PROXY: proxy.url(), NO_PROXY: noProxy }));
      expect(error.kind).toBe('unreachable');
      expect(error.message.split('\n')[0]).toBe(`Could not reach the Hugging Face hub at ${hub.endpoint} (getaddrinfo ENOTFOUND hub.genfill.invalid).`);
    }
    expect(proxy.requests).toEqual([]);
  });

  it('loopback is never proxied, and only the env given is read (not process.env)', async () => {
    proxy = await new ForwardProxy().start();
    const loopback = await new FakeHub([repo]).start();
    try {
      const result = await install({ HF_ENDPOINT: loopback.endpoint, HTTP_PROXY: proxy.url(), HTTPS_PROXY: proxy.url() });
      expect(sha256(await snapshotBytes(result.snapshotDir, UNET))).toBe(sha256(repo.files[UNET]!));
      expect(loopback.requests.length).toBeGreaterThan(0);
      expect(proxy.requests).toEqual([]);
    } finally {
      await loopback.close();
    }

    await rm(home, { recursive: true, force: true });
    vi.stubEnv('http_proxy', `http://127.0.0.1:${await closedPort()}`);
    vi.stubEnv('no_proxy', '*');
    try {
      await install({ HTTP_PROXY: proxy.url() });
    } finally {
      vi.unstubAllEnvs();
    }
    expect(proxy.requests.length).toBe(hub.requests.length);
  });
});

describe('proxy settings from the environment', () => {
  it('none set (or empty, or NO_PROXY=*) → no proxy: Node’s own fetch, exactly as without proxy support', async () => {
    expect(proxySettings({})).toBeUndefined();
    expect(proxySettings({ HTTPS_PROXY: ' ', http_proxy: '' })).toBeUndefined();
    expect(proxySettings({ HTTPS_PROXY: 'http://p:1', no_proxy: 'a.example, *' })).toBeUndefined();
    expect(await hubFetchFor(undefined)).toBe(globalThis.fetch);
  });

  it('lower-case names first; a bare host:port means http://; loopback is added to NO_PROXY', () => {
    const settings = proxySettings({ https_proxy: 'proxy.corp:3128', HTTPS_PROXY: 'http://other:1', NO_PROXY: '.corp.example,intranet:8080' })!;
    expect(settings.https?.name).toBe('https_proxy');
    expect(settings.https?.url.href).toBe('http://proxy.corp:3128/');
    expect(settings.http).toBeUndefined();
    expect(settings.noProxy).toBe('.corp.example,intranet:8080,localhost,127.0.0.1,[::1]');
    expect(proxySettings({ no_proxy: '', NO_PROXY: 'x', HTTP_PROXY: 'http://p:1' })!.noProxy).toBe('x,localhost,127.0.0.1,[::1]');
  });

  it('a value that is no http(s) proxy URL is refused with the variable named and the password hidden', () => {
    expect(() => proxySettings({ HTTPS_PROXY: 'ftp://proxy:21' })).toThrow(
      'HTTPS_PROXY="ftp://proxy:21" is not a proxy address such as http://proxy.example.com:3128: correct it, or unset it to connect directly.',
    );
    expect(() => proxySettings({ http_proxy: 'http://u:pa ss@proxy:x' })).toThrow(/^http_proxy="http:\/\/\*\*\*\*@proxy:x" is not a proxy address/);
    expect(() => proxySettings({ HTTP_PROXY: 'http://u:100%@proxy:3128' })).toThrow(
      'HTTP_PROXY="http://****@proxy:3128": the proxy login has a % that starts no percent-encoding; write % as %25.',
    );
    // Unencoded / : @ in the password: nothing of the login shows, however the URL splits.
    for (const value of ['http://user:pa/ss@proxy:3128', 'http://user:p@ss%zz@proxy:3128', 'user:se/cret@proxy:3128']) {
      const message = (() => {
        try {
          proxySettings({ HTTPS_PROXY: value });
          return '';
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(message).toMatch(/^HTTPS_PROXY="(http:\/\/)?\*\*\*\*@proxy:3128"/);
      for (const secret of ['user', 'pa/ss', 'p@ss', 'se/cret']) expect(message).not.toContain(secret);
    }
    // A password with an unencoded : parses (the URL encodes it): messages show only the user.
    expect(proxyLabel(proxySettings({ HTTPS_PROXY: 'http://user:pa:ss@proxy:3128' })!.https!)).toBe('http://user@proxy:3128 (HTTPS_PROXY)');
  });

  it('a connect timeout naming the proxy port is blamed on the proxy; a direct failure elsewhere is not', () => {
    const proxy = proxySettings({ HTTPS_PROXY: 'http://proxy.corp:3128' });
    const failed = (message: string, extra: object = {}) =>
      Object.assign(new TypeError('fetch failed'), { cause: { message, ...extra } });
    const timeout = proxyFailure(failed('Connect Timeout Error (attempted addresses: 10.0.0.5:3128, timeout: 10000ms)', { code: 'UND_ERR_CONNECT_TIMEOUT' }), proxy, 'https://huggingface.co');
    expect(timeout?.message).toMatch(/^Could not reach the proxy http:\/\/proxy\.corp:3128 \(HTTPS_PROXY\) \(Connect Timeout Error/);
    const direct = failed('connect ECONNREFUSED 10.1.1.1:443', { code: 'ECONNREFUSED', address: '10.1.1.1', port: 443 });
    expect(proxyFailure(direct, proxy, 'https://huggingface.co')).toBeUndefined();
    expect(proxyFailure(direct, undefined, 'https://huggingface.co')).toBeUndefined();
  });

  it('the label shows scheme, user, host and port, never the password', () => {
    const settings = proxySettings({ HTTP_PROXY: 'http://d%C3%A9v:p%40ss@proxy.corp:8080' })!;
    expect(proxyLabel(settings.http!)).toBe('http://dév@proxy.corp:8080 (HTTP_PROXY)');
  });
});
