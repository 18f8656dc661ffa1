#!/usr/bin/env node
// The `genfill` command: runs the compiled CLI in build/ (written by `npm ci` / `npm run build:service`).
import process from 'node:process';

let cli;
try {
  cli = await import('../build/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('build/cli.js')) throw error;
  process.stderr.write('genfill: the service is not compiled; run `npm run build:service` (npm ci does it)\n');
  process.exit(1);
}
process.exit(await cli.main(process.argv.slice(2)));
