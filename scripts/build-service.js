#!/usr/bin/env node
// Compiles the service to build/ (run by `npm ci` through `prepare`, and by `npm start`): esbuild bundles the CLI and
// the worker threads as ES modules in a few tens of milliseconds, so nothing is transpiled when genfill starts. The
// engines and the doctor's model checks stay in chunks loaded on first use; npm packages stay external.
import { rmSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}build`;
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['service/cli.ts', 'service/worker/engine-worker.ts', 'service/worker/decode-worker.ts', 'service/engines/classic/variation-worker.ts'],
  // Both entries and every chunk side by side, so `./engine-worker.js` and `../package.json` resolve from any of them.
  entryNames: '[name]',
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
