/**
 * Proxies for `genfill model install`, read from the environment much as curl and huggingface_hub read them:
 * HTTPS_PROXY for https URLs, HTTP_PROXY for http URLs (the lower-case names win, as in curl and Python), NO_PROXY to
 * go direct (a comma list of hosts, `.domain` for a domain and its subdomains, `host:port`, or `*` for everything).
 * Unlike curl, HTTP_PROXY set alone serves https too (undici's rule), and NO_PROXY takes no CIDR ranges.
 * Loopback (localhost, 127.0.0.1, [::1]) is never proxied: a mirror or test hub on this machine stays reachable
 * when a CI machine or a corporate login script sets a proxy.
 *
 * Pure: proxySettings (the environment read), proxyFailure (a failed request blamed on the proxy, with what to do).
 * I/O: hubFetchFor, the fetch every hub request goes through.
 */
import { isIP } from 'node:net';
import { HubError } from './hub-error';

export interface ProxyVariable {
  /** The variable it came from, as set: `HTTPS_PROXY`, `https_proxy` …, for messages. */
  name: string;
  url: URL;
}

export interface ProxySettings {
  http?: ProxyVariable;
  https?: ProxyVariable;
  /** NO_PROXY as undici's EnvHttpProxyAgent reads it, loopback added. */
  noProxy: string;
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/** The proxies the environment names; undefined when there are none (or NO_PROXY is `*`): requests go direct. */
export function proxySettings(env: NodeJS.ProcessEnv): ProxySettings | undefined {
  const http = proxyVariable(env, 'http_proxy');
  const https = proxyVariable(env, 'https_proxy');
  const noProxy = firstSet(env, 'no_proxy')?.value ?? '';
  const entries = noProxy.split(/[,\s]+/).filter(Boolean);
  if ((!http && !https) || entries.includes('*')) return undefined;
  return { ...(http && { http }), ...(https && { https }), noProxy: [...entries, ...LOOPBACK].join(',') };
}

function firstSet(env: NodeJS.ProcessEnv, lowerName: string): { name: string; value: string } | undefined {
  for (const name of [lowerName, lowerName.toUpperCase()]) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

function proxyVariable(env: NodeJS.ProcessEnv, lowerName: string): ProxyVariable | undefined {
  const set = firstSet(env, lowerName);
  if (!set) return undefined;
  // curl and Python take `proxy.corp:3128` as http://proxy.corp:3128.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(set.value) ? set.value : `http://${set.value}`;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  // Everything up to the last @ is the login, however it is written: none of it is shown.
  const shown = set.value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/i, '$1****@');
  if (!url || !/^https?:$/.test(url.protocol) || !url.hostname) {
    throw new HubError('usage', `${set.name}="${shown}" is not a proxy address such as http://proxy.example.com:3128: correct it, or unset it to connect directly.`);
  }
  if (!isPercentEncoded(url.username) || !isPercentEncoded(url.password)) {
    throw new HubError('usage', `${set.name}="${shown}": the proxy login has a % that starts no percent-encoding; write % as %25.`);
  }
  return { name: set.name, url };
}

function isPercentEncoded(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** The proxy as messages show it: scheme, user, host and port, never the password. */
export function proxyLabel(proxy: ProxyVariable): string {
  const { protocol, username, host } = proxy.url;
  return `${protocol}//${username ? `${decodeURIComponent(username)}@` : ''}${host} (${proxy.name})`;
}

export type HubFetch = (url: string, init: { headers: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;

const fetchers = new WeakMap<ProxySettings, Promise<HubFetch>>();

/**
 * Node's own fetch when no proxy is set (exactly as before, and undici's 2 MB are not loaded); otherwise undici's
 * fetch through one EnvHttpProxyAgent per install, so connections to the proxy are reused from file to file. It is
 * the package's fetch, not Node's global one, on purpose: Node 20 bundles undici 6, whose fetch calls a dispatcher
 * with the v6 handler interface, which a v7 agent takes only through a compatibility wrapper — a pairing that
 * differs with every Node release, where the package's own fetch matches its agent exactly. The agent decides per
 * request, so the CDN an LFS file redirects to is proxied (or not, by NO_PROXY) on its own terms.
 */
export function hubFetchFor(proxy: ProxySettings | undefined): Promise<HubFetch> {
  if (!proxy) return Promise.resolve(globalThis.fetch);
  let fetcher = fetchers.get(proxy);
  if (!fetcher) {
    fetcher = import('undici').catch((error: unknown) => {
      throw new HubError('usage', `A proxy is set (${proxyLabel((proxy.https ?? proxy.http)!)}), but the undici package that talks to it is missing: run \`npm ci\` in genfill's folder.`, { cause: error });
    }).then(({ EnvHttpProxyAgent, fetch }) => {
      const dispatcher = new EnvHttpProxyAgent({
        // Given explicitly (empty = none), so undici never reads process.env behind the caller's env.
        httpProxy: proxy.http?.url.href ?? '',
        httpsProxy: proxy.https?.url.href ?? '',
        noProxy: proxy.noProxy,
        // http URLs go to an http proxy as absolute-form requests (`GET http://host/path`), as curl and Python send
        // them; https URLs always tunnel with CONNECT.
        proxyTunnel: false,
      });
      // undici's Response is the one Node's fetch returns, from another copy of the same code; its declared types
      // differ from the DOM lib's (which the test build includes), hence the cast.
      return (url, init) => fetch(url, { ...init, dispatcher }) as unknown as Promise<Response>;
    });
    fetchers.set(proxy, fetcher);
  }
  return fetcher;
}

/** Errors on the way to a server; the proxy is blamed when the address that failed is the proxy's. */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

interface ErrorFacts {
  message?: string;
  code?: string;
  hostname?: string;
  address?: string;
  port?: number;
  cause?: unknown;
}

/**
 * A fetch that failed because of the proxy, explained (undefined: not the proxy's doing). undici reports a 407 to a
 * plain request as "Proxy Authentication Required (407)", a refused CONNECT as "Proxy response (N) !== 200 when HTTP
 * Tunneling", and a proxy it cannot reach as the socket error for the proxy's address.
 */
export function proxyFailure(error: unknown, proxy: ProxySettings | undefined, endpoint: string): HubError | undefined {
  if (!proxy) return undefined;
  const httpsFirst = proxy.https ?? proxy.http;
  const httpFirst = proxy.http ?? proxy.https;
  for (let facts = error as ErrorFacts | undefined; facts; facts = facts.cause as ErrorFacts | undefined) {
    const message = facts.message ?? '';
    if (/Proxy Authentication Required \(407\)/.test(message)) return loginRefused(httpFirst!, error);
    const tunnel = /^Proxy response \((\d+)\) !== 200 when HTTP Tunneling/.exec(message);
    if (tunnel) {
      const status = Number(tunnel[1]);
      if (status === 407) return loginRefused(httpsFirst!, error);
      return new HubError(
        'unreachable',
        [
          `The proxy ${proxyLabel(httpsFirst!)} would not open a connection to ${new URL(endpoint).host} or a download server it redirects to (it answered ${status}).`,
          'Ask whoever runs the proxy to allow the Hugging Face hub; a host you can reach directly goes in NO_PROXY.',
        ].join('\n'),
        { retryable: status >= 500, cause: error },
      );
    }
    const failed = CONNECT_CODES.has(facts.code ?? '') ? [proxy.https, proxy.http].find((p) => p && isProxyAddress(p, facts)) : undefined;
    if (failed) {
      return new HubError(
        'unreachable',
        [
          `Could not reach the proxy ${proxyLabel(failed)} (${message}).`,
          `Check the address in ${failed.name} and that the proxy is up, or unset it to connect directly; then run the same command again: files already downloaded are kept.`,
        ].join('\n'),
        { retryable: true, cause: error },
      );
    }
  }
  return undefined;
}

function loginRefused(proxy: ProxyVariable, error: unknown): HubError {
  const { protocol, host, username } = proxy.url;
  return new HubError(
    'auth',
    [
      `The proxy ${proxyLabel(proxy)} asks for a login (407 Proxy Authentication Required).`,
      username
        ? `It refused the user name and password in ${proxy.name}: check them (write @ : / % in them percent-encoded, e.g. %40 for @).`
        : `Put yours into ${proxy.name}: ${protocol}//USER:PASSWORD@${host} (write @ : / % in them percent-encoded, e.g. %40 for @).`,
      'A proxy that accepts only Windows (NTLM/Kerberos) logins needs a local helper proxy such as cntlm or px in between.',
    ].join('\n'),
    { cause: error },
  );
}

function isProxyAddress(proxy: ProxyVariable, facts: ErrorFacts): boolean {
  const host = proxy.url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(proxy.url.port) || (proxy.url.protocol === 'https:' ? 443 : 80);
  // A proxy named by host name fails at an address we cannot compare: its port has to do.
  const byName = isIP(host) === 0;
  if (facts.hostname !== undefined) return facts.hostname.toLowerCase() === host.toLowerCase(); // DNS: the name asked for
  if (facts.port !== undefined) return facts.port === port && (byName || facts.address === host);
  // undici's connect timeout lists the addresses it tried as `address:port`.
  const text = facts.message ?? '';
  return text.includes(`${host}:${port}`) || (byName && text.includes(`:${port},`));
}
