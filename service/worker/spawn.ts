/**
 * Starting worker threads from either form of the service: the TypeScript sources (tests, tsx) or the compiled
 * bundle in build/ (bin/genfill.js), where every entry sits beside the chunk that spawns it.
 */
import { Worker } from 'node:worker_threads';

/** The worker entry `name` beside the calling module (`import.meta.url`): `name.ts` in the sources, `name.js` built. */
export function workerEntryUrl(name: string, callerUrl: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

/** tsx's ESM API, resolved from here so the worker finds it whatever the working directory. */
function tsxApiUrl(): string {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return 'tsx/esm/api';
  }
}

/**
 * A TypeScript entry needs tsx: on Node 20 a worker does not apply `--import tsx` from its execArgv before loading
 * its entry ("Unknown file extension .ts"), so a one-line ESM bootstrap registers tsx's loader in the worker and
 * then imports the entry. A compiled (.js) entry is started directly.
 */
export function spawnWorker(url: URL, workerData: unknown): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const bootstrap = `import { register } from ${JSON.stringify(tsxApiUrl())}; register(); await import(${JSON.stringify(url.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), { workerData });
}
