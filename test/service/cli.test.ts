/**
 * The `genfill` command: as a child process through bin/genfill.js (as users run it: the compiled build, exit codes,
 * signals), and in-process through `main` where a process adds nothing (argument and folder checks).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, variationPath } from '../../service/cli';
import { CONFIG_OPTIONS } from '../../service/config';
import { PROBE_CHECKS } from '../../service/runtime/probe/probe-graph';
import { cropAsPng, makeCrop } from './helpers';

const BIN = resolve(import.meta.dirname, '../../bin/genfill.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function genfill(args: string[], options: { env?: Record<string, string>; until?: RegExp; signal?: NodeJS.Signals } = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const check = () => {
      if (options.until && !signalled && options.until.test(stdout + stderr)) {
        signalled = true;
        child.kill(options.signal ?? 'SIGINT');
      }
    };
    child.stdout.on('data', (d: Buffer) => ((stdout += d), check()));
    child.stderr.on('data', (d: Buffer) => ((stderr += d), check()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** `main` with captured output and the given environment over this process's. */
async function genfillInProcess(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const capture = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => (text += d));
    return { stream, text: () => text };
  };
  const out = capture();
  const err = capture();
  const code = await main(args, { stdout: out.stream, stderr: err.stream, env: { ...process.env, ...env } });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('genfill CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genfill-cli-'));
    const png = await cropAsPng(makeCrop(64, 48, 3));
    await writeFile(join(dir, 'in.png'), png.image);
    await writeFile(join(dir, 'mask.png'), png.mask);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names variation files out-1.png, out-2.png …', () => {
    expect(variationPath('/a/out.png', 0, 1)).toBe('/a/out.png');
    expect(variationPath('/a/out.png', 1, 3)).toBe('/a/out-2.png');
    expect(variationPath('out', 0, 2)).toBe('out-1.png');
  });

  it('--help lists the commands; serve --help every flag with env and default', async () => {
    const top = await genfill(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/genfill serve/);
    expect(top.stdout).toMatch(/genfill inpaint/);
    expect(top.stdout).toMatch(/genfill doctor/);
    const serve = await genfill(['serve', '--help']);
    expect(serve.code).toBe(0);
    for (const option of CONFIG_OPTIONS) expect(serve.stdout).toContain(`--${option.flag}`);
    for (const option of CONFIG_OPTIONS) expect(serve.stdout).toContain(option.env);
  });

  it('inpaint says when the prompt was not used, and takes the blending switches', async () => {
    const out = join(dir, 'unused.png');
    const run = await genfill(['inpaint', '--image', join(dir, 'in.png'), '--mask', join(dir, 'mask.png'), '--prompt', 'a red boat', '--out', out, '--no-soft-inpainting', '--no-color-match', '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: the prompt was not used.*npx genfill model install/);
  });

  it('inpaint runs the classic engine without a server and writes one PNG per variation', async () => {
    const out = join(dir, 'out.png');
    const run = await genfill(['inpaint', '--image', join(dir, 'in.png'), '--mask', join(dir, 'mask.png'), '--prompt', '', '--out', out, '--variations', '2', '--seed', '9', '--engine', 'classic']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`out-1.png (seed 9)`);
    expect(run.stdout).toContain(`out-2.png (seed 10)`);
    // Not a TTY: plain progress lines; the classic fill counts passes, both variations at once (in parallel).
    expect(run.stderr).toMatch(/^\d+% filling pass \d+ of \d+/m);
    expect(run.stderr).not.toMatch(/passs/);
    for (const file of ['out-1.png', 'out-2.png']) {
      const meta = await sharp(await readFile(join(dir, file))).metadata();
      expect([meta.width, meta.height]).toEqual([64, 48]);
    }
  });

  it('inpaint rejects bad parameters with the flag named, exit code 1', async () => {
    const run = await genfillInProcess(['inpaint', '--image', join(dir, 'in.png'), '--mask', join(dir, 'mask.png'), '--prompt', 'x', '--out', join(dir, 'o.png'), '--steps=-1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/params\.steps: must be at least 1/);
    const missing = await genfillInProcess(['inpaint', '--image', join(dir, 'nope.png'), '--mask', join(dir, 'mask.png'), '--prompt', 'x', '--out', join(dir, 'o.png')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--image: cannot read \S*nope\.png/);
    const unknown = await genfillInProcess(['inpaint', '--colour', 'red']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/--colour/);
  });

  it('doctor: exit 0 without a model (saying how to get one), 1 for a broken model folder', async () => {
    const none = await genfillInProcess(['doctor'], { GENFILL_MODEL: '' });
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/Execution providers \(✓ = included in this onnxruntime build/);
    expect(none.stdout).toMatch(/cpu/);
    expect(none.stdout).toContain('optimum-cli export onnx --model diffusers/stable-diffusion-xl-1.0-inpainting-0.1 --task inpainting');
    const broken = await genfillInProcess(['doctor', '--model', dir]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/BROKEN/);
    expect(broken.stdout).toMatch(/✗/);
  });

  it('doctor --check-provider runs the provider self-test and fails for a provider that cannot be used', async () => {
    const cpu = await genfill(['doctor', '--check-provider', 'cpu'], { env: { GENFILL_MODEL: '' } });
    expect(cpu.code, cpu.stderr).toBe(0);
    expect(cpu.stdout).toMatch(/Provider self-test on cpu:\n {2}✓ Conv with 9 input channels and a 3×3 kernel/);
    expect(cpu.stdout).toContain(`→ cpu: self-test passed (${PROBE_CHECKS.length} op checks match CPU)`);
    const unknown = await genfill(['doctor', '--check-provider', 'vulkan'], { env: { GENFILL_MODEL: '' } });
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/unknown provider "vulkan"/);
  });

  it('serve without a model starts, prints one screen with the export command, and exits 0 on SIGINT/SIGTERM', async () => {
    const run = await genfill(['serve', '--port', '0'], { env: { GENFILL_MODEL: '' }, until: /Ctrl\+C/ });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/serving on http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stderr).toContain('optimum-cli export onnx --model diffusers/stable-diffusion-xl-1.0-inpainting-0.1 --task inpainting <dir>');
    expect(run.stderr).toMatch(/--model <dir>/);
    expect(run.stderr).toMatch(/GENFILL_MODEL/);
    expect(run.stderr).toMatch(/stopped/);
    const term = await genfill(['serve', '--port', '0'], { env: { GENFILL_MODEL: '' }, until: /Ctrl\+C/, signal: 'SIGTERM' });
    expect(term.code).toBe(0);
    expect(term.stderr).toMatch(/SIGTERM: refusing new jobs, finishing the running one/);
  });

  it('serve refuses a non-loopback bind without a token (exit 1, clear message)', async () => {
    const run = await genfillInProcess(['serve', '--host', '0.0.0.0', '--port', '0'], { GENFILL_TOKEN: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a token/);
  });
});
