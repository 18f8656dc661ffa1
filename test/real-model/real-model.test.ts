/**
 * Opt-in check of a real SDXL inpainting export on the user's machine (GPU or CPU):
 *   GENFILL_TEST_MODEL=~/models/sdxl-inpaint [GENFILL_TEST_PROVIDER=cuda] npm run test:model
 * Skipped in `npm test` (no weights can be downloaded on CI). It runs one job through the real service, as the panel
 * would, and checks what a user would notice: it finishes, the fill is an image (finite, not flat), and the pixels
 * outside the selection come back untouched.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../core/protocol';
import type { ExecutionProviderChoice } from '../../core/params';
import { startService } from '../../service/main';
import { createLogger } from '../../service/log';
import { expectUnmaskedIdentical, makeCrop, rawJobForm, submit, waitForHealth, waitForJob } from '../service/helpers';

const modelDir = process.env.GENFILL_TEST_MODEL;
const provider = (process.env.GENFILL_TEST_PROVIDER ?? 'auto') as ExecutionProviderChoice;

describe.skipIf(!modelDir)('real SDXL model (GENFILL_TEST_MODEL)', () => {
  it('fills a 1024×768 crop with 2 variations, unmasked pixels untouched', { timeout: 30 * 60_000 }, async () => {
    const service = await startService({ port: 0, modelDir: modelDir!, provider }, { log: createLogger({ level: 'info' }) });
    try {
      const health = await waitForHealth(service.url, (h) => h.engines.some((e) => e.name === 'sdxl' && e.state !== 'loading'));
      const sdxl = health.engines.find((e) => e.name === 'sdxl')!;
      expect(sdxl, sdxl.reason ?? '').toMatchObject({ state: 'ready' });
      console.log(`sdxl: provider ${sdxl.provider}, dtype ${sdxl.dtype}`);

      const crop = makeCrop(1024, 768, 3);
      const started = performance.now();
      const created = await submit(service.url, rawJobForm(crop, { prompt: 'a red apple on a table', engine: 'sdxl', steps: 20, variations: 2 }));
      const final = (await waitForJob(service.url, created.id)).at(-1)!;
      expect(final.error).toBeNull();
      expect(final.state).toBe('succeeded');
      console.log(`job: ${((performance.now() - started) / 1000).toFixed(1)} s at ${final.workingSize?.width}×${final.workingSize?.height}`);

      for (const result of final.results) {
        const res = await fetch(`${service.url}${ROUTES.result(created.id, result.index)}?format=raw`);
        const rgba = new Uint8Array(await res.arrayBuffer());
        expectUnmaskedIdentical(crop, rgba);
        // Inside the hole: a picture, not a flat colour (a NaN or black decode would be flat).
        let min = 255;
        let max = 0;
        for (let y = 300; y < 460; y++) {
          for (let x = 400; x < 620; x++) {
            const g = rgba[(y * 1024 + x) * 4 + 1];
            min = Math.min(min, g);
            max = Math.max(max, g);
          }
        }
        expect(max - min).toBeGreaterThan(10);
      }
    } finally {
      await service.close();
    }
  });
});
