/**
 * Composition root: config → engine worker host → job queue → HTTP server. No logic of its own beyond wiring and
 * the shutdown order.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_CONFIG, validateConfig, type ServiceConfig } from './config';
import { createApp } from './http/app';
import { onClientError, onConnect } from './http/errors';
import { JobQueue } from './jobs/queue';
import { createLogger, type Logger } from './log';
import { SERVICE_VERSION } from './version';
import { DecodeWorkerHost } from './worker/decode-host';
import { EngineWorkerHost, type EngineRunner } from './worker/engine-host';
import type { EngineSettings } from './worker/messages';

export interface RunningService {
  /** http://127.0.0.1:PORT (the bound address; loopback for a wildcard bind). */
  url: string;
  port: number;
  config: ServiceConfig;
  /** The HTTP server (its timeouts and connection cap are set here). */
  server: Server;
  /** The engine worker host (health, engine states). */
  runner: EngineRunner;
  /**
   * Graceful: new jobs get 503 and queued ones are cancelled; the running one may finish within the grace period
   * (then it is cancelled); GETs are answered for `drainSeconds` more so clients fetch what finished; then it stops.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
}

export function engineSettings(config: ServiceConfig): EngineSettings {
  return {
    modelDir: config.modelDir,
    modelConfigFrom: config.modelConfigFrom,
    graphDtype: config.graphDtype,
    provider: config.provider,
    lowMemory: config.lowMemory,
    batchVariations: config.batchVariations,
    engineModule: config.engineModule,
  };
}

/**
 * Timeouts for a local service that takes uploads of up to ~130 MB (seconds over a LAN): headers must come quickly,
 * a whole request within two minutes; idle keep-alive connections close after 10 s (the panel polls more often).
 */
const SERVER_TIMEOUTS = { headersTimeout: 20_000, requestTimeout: 120_000, keepAliveTimeout: 10_000 } as const;

/** `[::1]` → `::1`: the brackets belong in URLs and Host headers, not in a listen address. */
function bareAddress(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bareAddress(host), () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function urlHost(host: string): string {
  const bare = bareAddress(host);
  if (bare === '0.0.0.0' || bare === '::') return '127.0.0.1';
  return bare.includes(':') ? `[${bare}]` : bare;
}

export async function startService(config: Partial<ServiceConfig> = {}, options: StartOptions = {}): Promise<RunningService> {
  const resolved = validateConfig({ ...DEFAULT_CONFIG, ...config });
  const log = options.log ?? createLogger({ level: resolved.logLevel, quiet: resolved.quiet });

  const runner = new EngineWorkerHost(engineSettings(resolved), log);
  const decoder = new DecodeWorkerHost(log);
  const queue = new JobQueue({
    runner,
    capacity: resolved.queueCapacity,
    retentionSeconds: resolved.retentionSeconds,
    retainedBytes: resolved.retainedMegabytes * 2 ** 20,
    log,
  });
  const app = createApp({
    queue,
    runner,
    log,
    version: SERVICE_VERSION,
    bindHost: resolved.host,
    allowedHosts: resolved.allowedHosts,
    allowedOrigins: resolved.allowedOrigins,
    corsOrigins: resolved.corsOrigins,
    token: resolved.token,
    decodeEncodedPart: decoder.decode,
  });
  // Node would answer a request without Host with a bare 400 before the app sees it; the Host guard answers instead.
  const server = createServer({ requireHostHeader: false, headersTimeout: SERVER_TIMEOUTS.headersTimeout, requestTimeout: SERVER_TIMEOUTS.requestTimeout }, app);
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveTimeout;
  server.maxConnections = resolved.maxConnections;
  server.on('clientError', onClientError);
  server.on('connect', onConnect);

  let port: number;
  try {
    port = await listen(server, resolved.host, resolved.port);
  } catch (error) {
    await Promise.all([runner.close(), decoder.close()]);
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === 'EADDRINUSE' ? ' (already in use: is genfill running? pick another with --port)' : '';
    throw new Error(`cannot listen on ${resolved.host}:${resolved.port}${hint}: ${(error as Error).message}`, { cause: error });
  }
  const url = `http://${urlHost(resolved.host)}:${port}`;
  log.info('listening', { url });

  // Shutdown keeps the listener open until the end: pollers (the panel polls) must be able to fetch the result of the
  // job it waited for. New jobs get 503 from the queue meanwhile.
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      log.info('shutting down: new jobs are refused, the running one may finish', { graceSeconds: resolved.shutdownGraceSeconds });
      // Clients may still poll for a job that ends during shutdown (it was running or queued) or that ended less
      // than drainSeconds before the signal (its poller has not been back yet); a job that ended earlier was fetched.
      const drainMs = resolved.drainSeconds * 1000;
      const recentSince = Date.now() - drainMs;
      await queue.shutdown(resolved.shutdownGraceSeconds * 1000);
      const lastFinished = queue.lastFinishedAt();
      if (drainMs > 0 && lastFinished && lastFinished.getTime() >= recentSince) {
        log.info('answering GETs a little longer so clients fetch finished jobs', { drainSeconds: resolved.drainSeconds });
        await sleep(resolved.drainSeconds * 1000);
      }
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      queue.clear();
      await Promise.all([runner.close(), decoder.close()]);
      await serverClosed;
      log.info('stopped');
    })());

  return { url, port, config: resolved, server, runner, close };
}
