/**
 * A small forward proxy for the proxy tests (node:http on 127.0.0.1): it takes absolute-form requests
 * (`GET http://host:port/path`), as clients send them to an HTTP proxy, and forwards those for `*.genfill.invalid` —
 * names no resolver knows — to the same port on 127.0.0.1, where the fake hub and its CDN listen. So a request that
 * arrives at the fake hub under such a name can only have come through the proxy. CONNECT (https) is answered with a
 * fixed status and never tunnelled; an optional login answers 407 without the right Proxy-Authorization.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** The request target as sent: absolute-form for plain requests, host:port for CONNECT. */
  target: string;
  range: string | undefined;
  proxyAuthorization: string | undefined;
}

export class ForwardProxy {
  readonly requests: ProxiedRequest[] = [];
  private server?: Server;
  port = 0;

  constructor(private readonly options: { login?: string; connectStatus?: number } = {}) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.forward(req, res));
    this.server.on('connect', (req: IncomingMessage, socket) => {
      this.record(req);
      const status = this.loginMissing(req) ? 407 : (this.options.connectStatus ?? 502);
      socket.end(`HTTP/1.1 ${status} Not Tunnelled\r\n\r\n`);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** The proxy's URL, with `credentials` (`user:password`, percent-encoded) when given. */
  url(credentials?: string): string {
    return `http://${credentials ? `${credentials}@` : ''}127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private record(req: IncomingMessage): void {
    this.requests.push({ method: req.method ?? '', target: req.url ?? '', range: req.headers.range, proxyAuthorization: req.headers['proxy-authorization'] });
  }

  private loginMissing(req: IncomingMessage): boolean {
    const { login } = this.options;
    return login !== undefined && req.headers['proxy-authorization'] !== `Basic ${Buffer.from(login).toString('base64')}`;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    this.record(req);
    if (this.loginMissing(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test proxy"' });
      res.end();
      return;
    }
    const target = URL.canParse(req.url ?? '') ? new URL(req.url!) : undefined;
    if (!target?.hostname.endsWith('.genfill.invalid')) {
      res.writeHead(502);
      res.end(`the test proxy forwards only *.genfill.invalid, not ${req.url}`);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = request({ host: '127.0.0.1', port: Number(target.port), method: req.method, path: target.pathname + target.search, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      // The fake hub dropping a connection mid-file must reach the client as a drop, not as a short clean end.
      answer.on('close', () => answer.complete || res.destroy());
    });
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  }
}
