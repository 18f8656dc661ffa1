/**
 * The two Hugging Face hub calls `genfill model install` needs — a revision's file list with sizes and hashes, and a
 * file's bytes from an offset — and the hub's failures turned into one HubError each, whose message says what to do.
 * Settings follow huggingface_hub: HF_ENDPOINT (a mirror, or the tests' fake hub), HF_TOKEN (else the token file
 * `hf auth login` writes), HF_HUB_OFFLINE, and the proxy variables (hub-proxy.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HubError } from './hub-error';
import { hfHomeDir } from './hub-cache';
import { hubFetchFor, proxyFailure, type ProxySettings, proxySettings } from './hub-proxy';

export { HubError, type HubErrorKind } from './hub-error';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface HubSettings {
  endpoint: string;
  token: string | undefined;
  /** HF_HUB_OFFLINE: the user told every Hugging Face tool not to contact the hub. */
  offline: boolean;
  userAgent: string;
  /** HTTPS_PROXY / HTTP_PROXY / NO_PROXY; undefined when no proxy is set. */
  proxy: ProxySettings | undefined;
}

export function hubSettings(env: NodeJS.ProcessEnv, userAgent = 'genfill'): HubSettings {
  const endpoint = (env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) throw new HubError('usage', `HF_ENDPOINT "${endpoint}" is not an http(s) URL`);
  return {
    endpoint,
    token: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || readTokenFile(env.HF_TOKEN_PATH || join(hfHomeDir(env), 'token')),
    offline: /^(1|true|yes|on)$/i.test(env.HF_HUB_OFFLINE ?? ''),
    userAgent,
    proxy: proxySettings(env),
  };
}

function readTokenFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** One file of a revision, as the hub lists it. */
export interface HubFile {
  /** Path inside the repo, `/`-separated. */
  path: string;
  size: number;
  /** The git blob id: sha1 of `blob <size>\0` + the bytes git stores (for an LFS file, its pointer). */
  blobId: string;
  /** sha256 of the content, for files stored with git LFS (the weights). */
  lfsSha256?: string;
}

export interface HubRevision {
  /** The commit the revision (branch, tag or hash) points at now. */
  commit: string;
  files: HubFile[];
}

/** What huggingface_hub names a file's blob in the cache: the sha256 for LFS files, else the git blob id. */
export function blobName(file: HubFile): string {
  return file.lfsSha256 ?? file.blobId;
}

/** The hub's answer to `GET /api/models/{repo}/revision/{rev}?blobs=true`, the part we use. */
const RevisionInfo = z.object({
  sha: z.string().regex(/^[0-9a-f]{40}$/, 'a 40-digit commit hash'),
  siblings: z.array(
    z.object({
      rfilename: z.string().min(1),
      size: z.number().int().nonnegative(),
      blobId: z.string().regex(/^[0-9a-f]{40}$/, 'a git blob id'),
      lfs: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256'), size: z.number().int().nonnegative() }).nullish(),
    }),
  ),
});

interface RequestContext {
  repoId: string;
  revision: string;
  /** The file asked for, when the request is for one. */
  path?: string;
}

export async function fetchRevision(settings: HubSettings, repoId: string, revision: string, signal?: AbortSignal): Promise<HubRevision> {
  const url = `${settings.endpoint}/api/models/${repoId}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const response = await hubFetch(settings, url, { signal }, { repoId, revision });
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new HubError('http', `${url} did not answer JSON (${(error as Error).message}): is HF_ENDPOINT a Hugging Face hub?`, { cause: error });
  }
  const parsed = RevisionInfo.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HubError('http', `the hub's file list for ${repoId}@${revision} is not what genfill expects (${issue?.path.join('.')}: ${issue?.message})`);
  }
  return {
    commit: parsed.data.sha,
    files: parsed.data.siblings.map((s) => ({
      path: s.rfilename,
      size: s.lfs?.size ?? s.size,
      blobId: s.blobId,
      ...(s.lfs && { lfsSha256: s.lfs.sha256 }),
    })),
  };
}

/**
 * The bytes of `path` at `commit`, from `offset` on (an HTTP Range request; a 200 answer means the server sent the
 * whole file instead). LFS files redirect to a CDN; fetch follows, and drops the Authorization header when the
 * redirect leaves the hub's origin.
 */
export function fetchFile(settings: HubSettings, repoId: string, commit: string, path: string, offset: number, signal?: AbortSignal): Promise<Response> {
  const url = `${settings.endpoint}/${repoId}/resolve/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
  // identity: a compressed answer would make byte offsets (Range) and sizes meaningless.
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  return hubFetch(settings, url, { signal, headers }, { repoId, revision: commit, path });
}

async function hubFetch(settings: HubSettings, url: string, init: { signal?: AbortSignal; headers?: Record<string, string> }, context: RequestContext): Promise<Response> {
  const headers: Record<string, string> = { 'user-agent': settings.userAgent, ...init.headers };
  if (settings.token) headers.authorization = `Bearer ${settings.token}`;
  // Outside the try: a missing undici is an installation problem, not a network one worth retrying.
  const fetch = await hubFetchFor(settings.proxy);
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: init.signal });
  } catch (error) {
    if (init.signal?.aborted) throw new HubError('cancelled', 'Stopped.', { cause: error });
    throw proxyFailure(error, settings.proxy, settings.endpoint) ?? connectionError(settings.endpoint, error);
  }
  if (response.ok) return response;
  await response.body?.cancel();
  throw statusError(settings, response, context);
}

const TLS_CODES = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);

/** fetch() rejected before any answer: no network, DNS failure, connection refused, a TLS problem. */
export function connectionError(endpoint: string, error: unknown): HubError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.message ?? (error as Error).message;
  const code = cause?.code ?? '';
  if (TLS_CODES.has(code) || code.startsWith('CERT_') || code.startsWith('ERR_TLS_')) {
    return new HubError(
      'tls',
      `The TLS certificate of ${endpoint} could not be verified (${reason}). Behind a proxy that inspects HTTPS, point NODE_EXTRA_CA_CERTS at its CA certificate.`,
      { cause: error },
    );
  }
  return new HubError(
    'unreachable',
    [
      `Could not reach the Hugging Face hub at ${endpoint} (${reason}).`,
      'Check the network connection (and HF_ENDPOINT if you set it), then run the same command again: files already downloaded are kept.',
      'Without the hub, --model works with files you already have: npm start -- --model <folder>',
    ].join('\n'),
    { retryable: true, cause: error },
  );
}

/** A non-2xx answer, explained (the hub says which case it is in the X-Error-Code header, as huggingface_hub reads it). */
function statusError(settings: HubSettings, response: Response, context: RequestContext): HubError {
  const { repoId, revision, path } = context;
  const code = response.headers.get('x-error-code');
  const hubSays = response.headers.get('x-error-message');
  const status = `${response.status}${hubSays ? `: ${hubSays}` : ''}`;
  const tokenHelp = `set HF_TOKEN to an access token (${settings.endpoint}/settings/tokens)`;
  if (code === 'GatedRepo') {
    return new HubError(
      'auth',
      `${repoId} is gated (${status}): open ${settings.endpoint}/${repoId}, accept its conditions while logged in, then ${settings.token ? 'run this again (the token in use has no access yet)' : `${tokenHelp} of that account`}.`,
    );
  }
  if (code === 'RevisionNotFound') {
    return new HubError('not_found', `${repoId} has no revision "${revision}" (${status}): --revision takes a branch, tag or commit hash.`);
  }
  if (code === 'EntryNotFound' || (response.status === 404 && path !== undefined)) {
    return new HubError('not_found', `${repoId}@${revision} lists ${path ?? 'a file'} but the hub does not serve it (${status}).`);
  }
  if (code === 'RepoNotFound' || response.status === 401 || response.status === 404) {
    return new HubError(
      response.status === 404 ? 'not_found' : 'auth',
      settings.token
        ? `${repoId} was not found on the hub, or the token in use cannot see it (${status}): check the repo id and HF_TOKEN.`
        : `${repoId} was not found on the hub, or it is private (${status}): check the repo id; for a private repo ${tokenHelp}.`,
    );
  }
  if (response.status === 403) {
    return new HubError(
      'auth',
      `The hub refused access to ${repoId} (${status}): ${settings.token ? 'the token in use (HF_TOKEN) lacks permission for it' : tokenHelp}.`,
    );
  }
  const retryable = response.status === 429 || response.status >= 500;
  return new HubError('http', `The hub answered ${status} ${response.statusText} for ${response.url}${retryable ? ': try again later' : ''}.`, { retryable });
}
