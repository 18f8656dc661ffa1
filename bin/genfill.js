#!/usr/bin/env node
// The `genfill` command: registers tsx's loader, then runs the TypeScript CLI (service/cli.ts).
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../service/cli.ts');
process.exit(await main(process.argv.slice(2)));
