#!/usr/bin/env node
// Compiles the service to build/ (run by `npm ci` through `prepare`, and by `npm start`): esbuild bundles the CLI and
// the worker threads as ES modules in a few tens of milliseconds, so nothing is transpiled when genfill starts. The
// engines and the doctor's model checks stay in chunks loaded on first use; npm packages stay external.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { kill, pid } from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}build`;
// Built beside build/ and swapped in with two renames, so a genfill already running from build/ never meets it
// missing or half-written when it loads a chunk on first use (a worker restart, the classic pool, doctor) — as long
// as the sources did not change: chunk names carry a content hash, and the old build's chunks are gone afterwards.
const next = `${root}build.next-${pid}`;
const previous = `${root}build.previous-${pid}`;
// Left by a build that was killed before it finished (one still running keeps its own).
for (const name of readdirSync(root)) {
  const owner = /^build\.(?:next|previous)-(\d+)$/.exec(name)?.[1];
  if (owner !== undefined && !isRunning(Number(owner))) rmSync(`${root}${name}`, { recursive: true, force: true });
}

function isRunning(processId) {
  try {
    kill(processId, 0);
    return true;
  } catch (error) {
    return codeOf(error) === 'EPERM';
  }
}
await build({
  absWorkingDir: root,
  entryPoints: ['service/cli.ts', 'service/worker/engine-worker.ts', 'service/worker/decode-worker.ts', 'service/engines/classic/variation-worker.ts'],
  // Both entries and every chunk side by side, so `./engine-worker.js` and `../package.json` resolve from any of them.
  entryNames: '[name]',
  outdir: next,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

function codeOf(error) {
  return error instanceof Error && 'code' in error ? error.code : undefined;
}

/** Windows refuses a rename for a while after files were written (antivirus, the indexer): try again, as graceful-fs does. */
function renameRetrying(from, to) {
  for (let attempt = 0; ; attempt++) {
    try {
      return renameSync(from, to);
    } catch (error) {
      if (attempt >= 20 || !['EPERM', 'EACCES', 'EBUSY'].includes(codeOf(error))) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
}

try {
  renameRetrying(outdir, previous);
} catch (error) {
  if (codeOf(error) !== 'ENOENT') throw error;
}
try {
  renameRetrying(next, outdir);
} catch (error) {
  // Another build (tests and `npm start` at once) swapped its equal output in first (on Windows that reads EPERM);
  // otherwise the old build goes back, so there is never no build at all.
  if (!existsSync(outdir)) {
    if (existsSync(previous)) renameRetrying(previous, outdir);
    throw error;
  }
  rmSync(next, { recursive: true, force: true });
}
rmSync(previous, { recursive: true, force: true });
