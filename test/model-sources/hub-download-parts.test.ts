/** The pure parts of `genfill model install`: which files, which hash, how progress reads. */
import { describe, expect, it } from 'vitest';
import { BlobDigest } from '../../service/models/blob-digest';
import type { HubFile } from '../../service/models/hub-api';
import { isSafeRepoPath, planInstall } from '../../service/models/install-plan';
import { ByteProgressBar, formatBytes, formatDuration, formatProgressLine } from '../../service/models/progress-bar';

const file = (path: string, size = 10): HubFile => ({ path, size, blobId: '0'.repeat(40), ...(path.endsWith('.safetensors') && { lfsSha256: '1'.repeat(64) }) });
const INDEX = { _class_name: 'StableDiffusionXLInpaintPipeline', unet: ['diffusers', 'UNet2DConditionModel'], tokenizer: ['transformers', 'CLIPTokenizer'], safety_checker: [null, null] };

describe('install plan', () => {
  it('takes the fp16 variant, sharded with its index; configs and tokenizers whole; nothing else', () => {
    const plan = planInstall('o/r', [
      file('model_index.json'),
      file('README.md'),
      file('tokenizer/vocab.json'),
      file('tokenizer/merges.txt'),
      file('unet/config.json'),
      file('unet/diffusion_pytorch_model.fp16-00001-of-00002.safetensors', 500),
      file('unet/diffusion_pytorch_model.fp16-00002-of-00002.safetensors', 400),
      file('unet/diffusion_pytorch_model.safetensors.index.fp16.json'),
      file('unet/diffusion_pytorch_model-00001-of-00002.safetensors', 1000),
      file('unet/diffusion_pytorch_model.safetensors.index.json'),
      file('unet/diffusion_pytorch_model.fp16.bin', 900),
      file('unet/diffusion_pytorch_model.non_ema.safetensors', 1000),
      file('unet/extra/notes.txt'),
    ], INDEX);
    expect(plan.files.map((f) => f.path)).toEqual([
      'model_index.json',
      'tokenizer/merges.txt',
      'tokenizer/vocab.json',
      'unet/config.json',
      'unet/diffusion_pytorch_model.safetensors.index.fp16.json',
      'unet/diffusion_pytorch_model.fp16-00002-of-00002.safetensors',
      'unet/diffusion_pytorch_model.fp16-00001-of-00002.safetensors',
    ]);
    expect(plan.totalBytes).toBe(10 * 5 + 900);
    expect(plan.weights).toEqual([{ component: 'unet', variant: 'fp16' }]);
    expect(plan.notes).toEqual([]);
  });

  it('without an fp16 variant takes the full-precision safetensors, and says so', () => {
    const plan = planInstall('o/r', [file('model_index.json'), file('tokenizer/vocab.json'), file('unet/config.json'), file('unet/diffusion_pytorch_model.safetensors', 2e9), file('unet/diffusion_pytorch_model.bin', 2e9)], INDEX);
    expect(plan.files.map((f) => f.path)).toEqual(['model_index.json', 'tokenizer/vocab.json', 'unet/config.json', 'unet/diffusion_pytorch_model.safetensors']);
    expect(plan.weights).toEqual([{ component: 'unet', variant: 'full' }]);
    expect(plan.notes).toEqual(['unet: no fp16 variant in the repo; taking the full-precision weights (diffusion_pytorch_model.safetensors, 2.00 GB)']);
  });

  it('refuses what it cannot install, saying why', () => {
    const base = [file('model_index.json'), file('tokenizer/vocab.json')];
    expect(() => planInstall('o/r', [...base, file('unet/diffusion_pytorch_model.fp16.safetensors')], INDEX)).toThrow('o/r: unet/ has weights but no config.json');
    expect(() => planInstall('o/r', base, INDEX)).toThrow('o/r: model_index.json names "unet" but the repo has no unet/ folder');
    expect(() => planInstall('o/r', base, ['unet'])).toThrow('o/r: model_index.json is not a JSON object');
    expect(() => planInstall('o/r', base, { _class_name: 'X' })).toThrow('o/r: model_index.json names no pipeline components');
    expect(() => planInstall('o/r', [...base, file('unet/config.json'), file('unet/a..b.fp16.safetensors')], INDEX)).toThrow(/no \.safetensors weights/);
  });

  it('writes only paths that stay inside the snapshot', () => {
    for (const ok of ['unet/config.json', 'a/b.c/d']) expect(isSafeRepoPath(ok), ok).toBe(true);
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', 'C:/x', 'a\\b', 'a/./b', '']) expect(isSafeRepoPath(bad), bad).toBe(false);
  });
});

describe('blob digest', () => {
  it('is the git blob id for small files and the sha256 for LFS files', () => {
    // `printf 'hello\n' | git hash-object --stdin` and `printf 'hello\n' | sha256sum`
    const text = new TextEncoder().encode('hello\n');
    const git = new BlobDigest({ path: 'a.txt', size: 6, blobId: 'ce013625030ba8dba906f756967f9e9ca394464a' });
    git.update(text.subarray(0, 2));
    git.update(text.subarray(2));
    expect(git.algorithm).toBe('git blob sha1');
    expect(git.hex()).toBe(git.expected);
    const lfs = new BlobDigest({ path: 'a.safetensors', size: 6, blobId: '0'.repeat(40), lfsSha256: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03' });
    lfs.update(text);
    expect(lfs.algorithm).toBe('sha256');
    expect(lfs.hex()).toBe(lfs.expected);
  });
});

describe('progress bar', () => {
  it('formats bytes, rate and ETA', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(6_938_000_000)).toBe('6.94 GB');
    expect(formatBytes(38_200_000)).toBe('38.2 MB');
    expect(formatBytes(167_000_000)).toBe('167 MB');
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(3720)).toBe('1h 02m');
    expect(formatProgressLine({ doneBytes: 3e9, totalBytes: 6e9, bytesPerSecond: 20e6, label: 'unet/x' })).toBe(
      '[############............]   50%  3.00 GB / 6.00 GB  20.0 MB/s  ETA 2m 30s  unet/x',
    );
    expect(formatProgressLine({ doneBytes: 0, totalBytes: 6e9, bytesPerSecond: undefined, label: '' })).toBe('[........................]    0%  0 B / 6.00 GB');
  });

  it('on a terminal redraws one line in place, at most every redrawMs, cut to the width', () => {
    let t = 0;
    let out = '';
    const bar = new ByteProgressBar({ isTTY: true, columns: 70, write: (s: string) => (out += s) }, { now: () => t, redrawMs: 100 });
    bar.update(0, 1e9, 'unet/diffusion_pytorch_model.fp16.safetensors');
    t = 50;
    bar.update(1e8, 1e9, 'unet'); // too soon: not drawn
    t = 1000;
    bar.update(2e8, 1e9, 'unet');
    bar.done();
    const frames = out.split('\r').filter(Boolean);
    expect(frames).toHaveLength(2);
    for (const frame of frames) expect(frame.replace('\x1b[K', '').replace('\n', '').length).toBeLessThanOrEqual(69);
    expect(frames[1]).toMatch(/^\[#####\.+\] {3}20% {2}200 MB \/ 1\.00 GB {2}200 MB\/s/);
    expect(out.endsWith('\x1b[K\n')).toBe(true);
  });

  it('takes the rate from the bytes this run moved, not from files found complete', () => {
    let t = 0;
    const lines: string[] = [];
    const bar = new ByteProgressBar({ write: (s: string) => lines.push(s) }, { now: () => t, lineMs: 0 });
    bar.update(0, 10e9, 'a', 0);
    t = 1000;
    bar.update(6e9, 10e9, 'a', 0); // 6 GB were there already
    t = 2000;
    bar.update(6.05e9, 10e9, 'b', 50e6);
    expect(bar.bytesPerSecond()).toBeCloseTo(25e6, -3);
    expect(lines[2]).toMatch(/ 61% {2}6\.05 GB \/ 10\.0 GB {2}25\.0 MB\/s {2}ETA 2m 38s {2}b\n$/);
  });

  it('in a log writes a line every lineMs and one at the end, and measures the rate over the last seconds', () => {
    let t = 0;
    const lines: string[] = [];
    const bar = new ByteProgressBar({ write: (s: string) => lines.push(s) }, { now: () => t, lineMs: 10_000 });
    for (let second = 0; second < 30; second += 1) {
      t = second * 1000;
      // 10 MB/s for 20 s, then 50 MB/s
      bar.update(second <= 20 ? second * 10e6 : 200e6 + (second - 20) * 50e6, 700e6, 'unet');
    }
    expect(bar.bytesPerSecond()).toBeCloseTo(50e6, -5); // the window holds only the last few seconds
    bar.update(700e6, 700e6, 'unet');
    bar.update(700e6, 700e6, 'unet');
    bar.done();
    expect(lines.map((l) => l.slice(0, 32))).toEqual([
      '[........................]    0%',
      '[###.....................]   14%',
      '[#######.................]   29%',
      '[########################]  100%',
    ]);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    expect(lines[2]).toMatch(/ 10\.0 MB\/s {2}ETA 50 s {2}unet\n$/); // 500 MB left at 10 MB/s
  });
});
