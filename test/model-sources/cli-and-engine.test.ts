// `genfill model convert`, `genfill doctor` and the sdxl engine given a model source instead of an ONNX folder.
import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSdxlEngine } from '../../service/engines/sdxl/index';
import { createOrtRuntime } from '../../service/runtime/ort-runtime';
import { loadModelFolder } from '../../service/pipeline/model-folder';
import { GOLDEN, GOLDEN_DIFFUSERS, GOLDEN_SINGLE_FILE, GOLDEN_SKIP_MESSAGE, haveGolden } from '../graphs/golden';
import { tempDirs } from '../graphs/temp-dirs';
import { cropAsPng, makeCrop } from '../service/helpers';

if (!haveGolden) console.warn(GOLDEN_SKIP_MESSAGE);
/** A child process per command, on a shared 2-core machine: seconds when idle, more than a minute under load. */
const CHILD_PROCESS = { timeout: 240_000 };
const BIN = resolve(import.meta.dirname, '../../bin/genfill.js');
const temp = tempDirs('genfill-model-cli');

function genfill(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe.skipIf(!haveGolden)('model sources from the command line and the engine', () => {
  it('model convert writes a folder --model loads, and refuses to overwrite or to convert an ONNX export', CHILD_PROCESS, async () => {
    const out = join(temp(), 'converted');
    const env = { GENFILL_CACHE_DIR: temp() };
    const run = await genfill(['model', 'convert', GOLDEN_SINGLE_FILE, '--out', out, '--config-from', GOLDEN_DIFFUSERS], env);
    expect(run.stderr).toMatch(/building unet/);
    expect(run.stdout).toMatch(new RegExp(`${out}: model\\.safetensors \\(single file, fp32 weights\\) in [\\d.]+ s\\nUse it: npm start -- --model ${out}`));
    expect(run.code).toBe(0);
    expect((await loadModelFolder(out)).summary.unetInChannels).toBe(9);
    const again = await genfill(['model', 'convert', GOLDEN_SINGLE_FILE, '--out', out], env);
    expect([again.code, again.stderr]).toEqual([1, expect.stringMatching(/already exists; choose a new folder/)]);
    const onnx = await genfill(['model', 'convert', join(GOLDEN, 'onnx'), '--out', join(temp(), 'x')], env);
    expect([onnx.code, onnx.stderr]).toEqual([1, expect.stringMatching(/is already an ONNX export/)]);
  });

  it('doctor names the model, its format and weights, and where genfill built its graphs', CHILD_PROCESS, async () => {
    const cache = temp();
    const run = await genfill(['doctor', '--model', GOLDEN_DIFFUSERS], { GENFILL_CACHE_DIR: cache });
    expect(run.stdout).toMatch(/Model: diffusers \(diffusers, fp32 weights\): OK/);
    expect(run.stdout).toContain(`graphs built by genfill in ${join(cache, 'graphs')}`);
    // auto builds for the checked provider, else the first one auto tries here; an explicit setting is what it says.
    expect(run.stdout).toMatch(/, computing in fp(16|32) \(VAE fp32; --graph-dtype auto for \w+\)/);
    const single = await genfill(['doctor', '--model', GOLDEN_SINGLE_FILE, '--config-from', GOLDEN_DIFFUSERS, '--graph-dtype', 'fp16', '--check-provider', 'cpu'], { GENFILL_CACHE_DIR: cache });
    expect(single.stdout).toMatch(/Model: model\.safetensors \(single file, fp32 weights\): OK/);
    expect(single.stdout).toMatch(/, computing in fp16 \(VAE fp32; --graph-dtype fp16\)/);
    const onCpu = await genfill(['doctor', '--model', GOLDEN_DIFFUSERS, '--check-provider', 'cpu'], { GENFILL_CACHE_DIR: cache });
    expect(onCpu.stdout).toMatch(/, computing in fp32 \(VAE fp32; --graph-dtype auto for cpu\)/);
    const bad = await genfill(['doctor', '--model', join(temp(), 'nothing-here')], { GENFILL_CACHE_DIR: cache });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/BROKEN\n {2}✗ model .*nothing-here does not exist/);
  });

  it('inpaint runs a single file with --config-from through the worker', CHILD_PROCESS, async () => {
    const dir = temp();
    const png = await cropAsPng(makeCrop(96, 64, 3));
    writeFileSync(join(dir, 'in.png'), png.image);
    writeFileSync(join(dir, 'mask.png'), png.mask);
    const args = ['inpaint', '--model', GOLDEN_SINGLE_FILE, '--config-from', GOLDEN_DIFFUSERS, '--provider', 'cpu', '--image', join(dir, 'in.png'), '--mask', join(dir, 'mask.png')];
    const run = await genfill([...args, '--prompt', 'a red brick wall', '--steps', '2', '--engine', 'sdxl', '--out', join(dir, 'out.png')], { GENFILL_CACHE_DIR: temp() });
    expect(run.stderr).toMatch(/engine sdxl/);
    expect(run.code).toBe(0);
    expect(statSync(join(dir, 'out.png')).size).toBeGreaterThan(0);
  });

  it('the sdxl engine loads a diffusers folder and reports which model it runs', async () => {
    const previous = process.env.GENFILL_CACHE_DIR;
    process.env.GENFILL_CACHE_DIR = temp();
    const engine = createSdxlEngine({ modelDir: GOLDEN_DIFFUSERS, provider: 'cpu', lowMemory: false, batchVariations: true, runtime: createOrtRuntime() });
    try {
      await expect(engine.run({ width: 96, height: 64, image: new Uint8Array(96 * 64 * 3), mask: new Uint8Array(96 * 64).fill(255), prompt: 'a red brick wall', negativePrompt: undefined, steps: 2, guidance: 5, guidanceRescale: 0, strength: 1, scheduler: 'euler', seeds: [1] }, { onProgress: () => undefined, isCancelled: () => false })).resolves.toBeTruthy();
      expect(engine.status()).toMatchObject({ state: 'ready', model: GOLDEN_DIFFUSERS, dtype: 'fp32', identity: { name: 'diffusers', format: 'diffusers', weights: 'fp32' } });
    } finally {
      await engine.dispose();
      if (previous === undefined) delete process.env.GENFILL_CACHE_DIR;
      else process.env.GENFILL_CACHE_DIR = previous;
    }
  });
});
