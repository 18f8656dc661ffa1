/**
 * Composition root: config → engine worker host → job queue → HTTP server. No logic of its own beyond wiring and
 * the shutdown order.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { DEFAULT_CONFIG, validateConfig, type ServiceConfig } from './config';
import { createApp } from './http/app';
import { onClientError } from './http/errors';
import { JobQueue } from './jobs/queue';
import { createLogger, type Logger } from './log';
import { SERVICE_VERSION } from './version';
import { EngineWorkerHost, type EngineRunner } from './worker/engine-host';
import type { EngineSettings } from './worker/messages';

export interface RunningService {
  /** http://127.0.0.1:PORT (the bound address; loopback for a wildcard bind). */
  url: string;
  port: number;
  config: ServiceConfig;
  /** The engine worker host (health, engine states). */
  runner: EngineRunner;
  /** Graceful: stop accepting, cancel queued jobs, let the running one finish within the grace period, stop. */
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

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startService(config: Partial<ServiceConfig> = {}, options: StartOptions = {}): Promise<RunningService> {
  const resolved = validateConfig({ ...DEFAULT_CONFIG, ...config });
  const log = options.log ?? createLogger({ level: resolved.logLevel, quiet: resolved.quiet });

  const runner = new EngineWorkerHost(engineSettings(resolved), log);
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
    corsOrigins: resolved.corsOrigins,
    token: resolved.token,
  });
  // Node would answer a request without Host with a bare 400 before the app sees it; the Host guard answers instead.
  const server = createServer({ requireHostHeader: false }, app);
  server.on('clientError', onClientError);

  let port: number;
  try {
    port = await listen(server, resolved.host, resolved.port);
  } catch (error) {
    await runner.close();
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === 'EADDRINUSE' ? ' (already in use: is genfill running? pick another with --port)' : '';
    throw new Error(`cannot listen on ${resolved.host}:${resolved.port}${hint}: ${(error as Error).message}`, { cause: error });
  }
  const url = `http://${urlHost(resolved.host)}:${port}`;
  log.info('listening', { url });

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      log.info('shutting down');
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await queue.shutdown(resolved.shutdownGraceSeconds * 1000);
      queue.clear();
      server.closeAllConnections();
      await runner.close();
      await serverClosed;
      log.info('stopped');
    })());

  return { url, port, config: resolved, runner, close };
}
