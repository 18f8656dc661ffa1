/**
 * Runs every `bench/*.bench.ts` (or the ones named on the command line) one after another, each in its own process
 * so their timings do not disturb each other. Each benchmark prints its own figures.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLine, machineLine } from './stats';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

if (files.length === 0) {
  console.log(wanted.length ? `no benchmark matches ${wanted.join(', ')}` : 'no benchmarks yet');
}
let failed = 0;
console.log(`machine: ${machineLine()}; ${loadLine()} at start`);
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
console.log(`\n${loadLine()} at the end`);
process.exit(failed ? 1 : 0);
