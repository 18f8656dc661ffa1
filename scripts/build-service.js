#!/usr/bin/env node
// Compiles the service to build/ (run by `npm ci` through `prepare`, and by `npm start`): esbuild bundles the CLI and
// the worker threads as ES modules in a few tens of milliseconds, so nothing is transpiled when genfill starts. The
// engines and the doctor's model checks stay in chunks loaded on first use; npm packages stay external.
import { renameSync, rmSync } from 'node:fs';
import { pid } from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}build`;
// Built beside build/ and swapped in with two renames, so a genfill already running from build/ never meets it
// missing or half-written when it loads a chunk on first use (a worker restart, the classic pool, doctor).
const next = `${root}build.next-${pid}`;
const previous = `${root}build.previous-${pid}`;
rmSync(next, { recursive: true, force: true });
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
try {
  renameSync(outdir, previous);
} catch (error) {
  if (codeOf(error) !== 'ENOENT') throw error;
}
try {
  renameSync(next, outdir);
} catch (error) {
  // Another build (tests and `npm start` at once) swapped its equal output in first.
  if (codeOf(error) !== 'ENOTEMPTY' && codeOf(error) !== 'EEXIST') throw error;
  rmSync(next, { recursive: true, force: true });
}
rmSync(previous, { recursive: true, force: true });
