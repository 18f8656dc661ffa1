import { defineConfig } from 'vitest/config';
import type { Plugin } from 'vitest/config';

/**
 * UXP has no TextEncoder/TextDecoder. Node's stay on the global (Node's own fetch and Response need them), but every
 * module of the panel — and of its tests — sees them as undefined, so panel code that relies on them fails here as
 * it would in Photoshop. (Prepended on the first line: line numbers stay right.)
 */
const uxpGlobals: Plugin = {
  name: 'genfill-uxp-globals',
  enforce: 'pre',
  transform(code, id) {
    if (!/\/plugin\/[^?]*\.tsx?$/.test(id) || id.includes('/node_modules/')) return null;
    return { code: `const TextEncoder = undefined, TextDecoder = undefined; ${code}`, map: null };
  },
};

export default defineConfig({
  plugins: [uxpGlobals],
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Plugin tests opt into a DOM with `// @vitest-environment happy-dom`; everything else runs on plain Node.
    environment: 'node',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: ORT and PatchMatch tests are CPU-bound; more parallel files only thrash.
    maxWorkers: 2,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', 'json'],
    outputFile: { json: '.tmp/vitest-report.json' },
  },
});
