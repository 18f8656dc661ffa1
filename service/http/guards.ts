/**
 * Request guards, in the order they run: Host header (DNS rebinding), Origin (cross-site requests from web pages),
 * CORS (only when configured), bearer token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { excerpt, GenfillError } from '../../core/errors';
import { RAW_HEADERS, ROUTES } from '../../core/protocol';
import { parseAllowedHost, parseHostHeader } from '../net/host-names';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '::1'];
const WILDCARD_ADDRESSES = ['0.0.0.0', '::', ''];

/**
 * Accepts loopback names and the bound address — with no port or the listening one — and the configured names:
 * `name` like a loopback name, `name:port` with exactly that port (a proxy in front may listen on another).
 * A page on evil.example that rebinds its DNS to 127.0.0.1 still sends `Host: evil.example`, so it is refused.
 */
export function hostGuard(options: { bindHost: string; allowedHosts: readonly string[] }): RequestHandler {
  const names = new Set(LOOPBACK_NAMES);
  const namesWithPort = new Set<string>();
  for (const entry of options.allowedHosts) {
    const parsed = parseAllowedHost(entry);
    if (!parsed) throw new Error(`allowed host "${entry}" is not a host name, optionally with :port`);
    if (parsed.port === null) names.add(parsed.name);
    else namesWithPort.add(`${parsed.name}:${parsed.port}`);
  }
  const bind = options.bindHost.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (!WILDCARD_ADDRESSES.includes(bind)) names.add(bind);
  return (req, _res, next) => {
    const header = req.headers.host;
    const parsed = header === undefined ? null : parseHostHeader(header);
    if (parsed) {
      if (names.has(parsed.name) && (parsed.port === null || parsed.port === req.socket.localPort)) return next();
      if (parsed.port !== null && namesWithPort.has(`${parsed.name}:${parsed.port}`)) return next();
    }
    const what = header === undefined || header === '' ? 'A request without a Host header' : `Host ${excerpt(header)}`;
    next(new GenfillError('forbidden_host', `${what} is not served; use http://127.0.0.1:${req.socket.localPort} or add the name with --allowed-host`));
  };
}

/**
 * Refuses requests whose `Origin` is not allowed, as Ollama does. A multipart POST is a CORS "simple" request: any web
 * page can send one to 127.0.0.1 without a preflight, and the browser adds its Origin, which the page cannot
 * change. Clients that are not browsers (curl, the CLI, the panel — see the README on what UXP sends) send no
 * Origin and pass, as does the service's own origin (a browser on http://127.0.0.1:7870 itself). `null` is an
 * origin like any other here: sandboxed iframes and file:// pages send it, so it passes only when listed.
 */
export function originGuard(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins.map((o) => o.toLowerCase()));
  const any = allowed.has('*');
  return (req, _res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined || any) return next();
    const lower = origin.toLowerCase();
    // The Host guard already accepted this Host, so its own origin is the service itself.
    if (allowed.has(lower) || lower === `http://${String(req.headers.host).toLowerCase()}`) return next();
    const named = origin.length <= 100 ? `'${origin}'` : 'ORIGIN';
    next(new GenfillError('forbidden_origin', `requests from web pages are refused (Origin ${excerpt(origin)}); to allow one, start the service with --allowed-origin ${named}`));
  };
}

const EXPOSED_HEADERS = Object.values(RAW_HEADERS).join(', ');

export function corsHeaders(origins: readonly string[]): RequestHandler {
  const any = origins.includes('*');
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origins.length === 0 || !origin || !(any || origins.includes(origin))) return next();
    res.set('Access-Control-Allow-Origin', any ? '*' : origin);
    res.vary('Origin');
    res.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (req.method !== 'OPTIONS') return next();
    res.set('Access-Control-Allow-Methods', 'GET, POST, DELETE');
    res.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept');
    res.set('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

const BEARER = /^Bearer\s+(.+)$/i;

/** True when no token is configured, or the request carries it (constant-time comparison). */
export function isAuthorized(req: Request, token: string | null): boolean {
  if (!token) return true;
  const match = BEARER.exec(req.headers.authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1].trim()), digest(token));
}

/** With a token, every /v1 route but health needs `Authorization: Bearer <token>`. */
export function authGuard(token: string | null): RequestHandler {
  if (!token) return (_req, _res, next) => next();
  return (req, res, next) => {
    if (req.path === ROUTES.health) return next();
    if (isAuthorized(req, token)) return next();
    const match = BEARER.exec(req.headers.authorization ?? '');
    res.set('WWW-Authenticate', 'Bearer');
    next(new GenfillError('unauthorized', match ? 'the bearer token is wrong' : 'this service requires "Authorization: Bearer <token>"'));
  };
}
