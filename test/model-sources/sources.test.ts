// --model sources: an ONNX export passes through; a diffusers folder, a Hugging Face cache entry and a single file get
// graphs built once into genfill's cache, with weights hard-linked (or copied once where linking fails).
import { cpSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadModelFolder } from '../../service/pipeline/model-folder';
import { planFingerprint, writeGraphFolder } from '../../service/models/graph-folder';
import { resolveModelSource } from '../../service/models/model-source';
import { diffusersPlan, singleFilePlan } from '../../service/models/plans';
import { GOLDEN, GOLDEN_DIFFUSERS, GOLDEN_SINGLE_FILE, GOLDEN_SKIP_MESSAGE, haveGolden, readF32, relativeError } from '../graphs/golden';
import { linkedDiffusersCopy, toBfloat16 } from './safetensors-files';
import { tempDirs } from '../graphs/temp-dirs';

if (!haveGolden) console.warn(GOLDEN_SKIP_MESSAGE);
const temp = tempDirs('genfill-sources');

/** A snapshot's commit hash, as refs/main holds it. */
const COMMIT = 'c0ffee'.padEnd(40, '0');

/** Copies the golden diffusers folder into a fake HF cache: files in blobs/, snapshot entries symlinked to them. */
function fakeHubCache(): string {
  const cache = temp();
  const repo = join(cache, 'models--org--tiny-inpaint');
  const snapshot = join(repo, 'snapshots', COMMIT);
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(join(repo, 'refs'), { recursive: true });
  cpSync(GOLDEN_DIFFUSERS, join(repo, 'staging'), { recursive: true });
  let n = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      const rel = relative(join(repo, 'staging'), path);
      const blob = join(repo, 'blobs', `blob${n++}`);
      cpSync(path, blob);
      mkdirSync(join(snapshot, rel, '..'), { recursive: true });
      symlinkSync(relative(join(snapshot, rel, '..'), blob), join(snapshot, rel));
    }
  };
  walk(join(repo, 'staging'));
  rmSync(join(repo, 'staging'), { recursive: true });
  writeFileSync(join(repo, 'refs', 'main'), COMMIT);
  return cache;
}

const inode = (path: string): number => statSync(path).ino;

describe.skipIf(!haveGolden)('model sources', () => {
  it('passes an ONNX export through unchanged', async () => {
    const resolved = await resolveModelSource(join(GOLDEN, 'onnx'), { cacheDir: temp() });
    expect(resolved).toEqual({ dir: join(GOLDEN, 'onnx'), identity: { name: 'onnx', format: 'onnx', weights: null } });
  });

  it('builds a diffusers folder once into the cache, weights hard-linked, and reuses it', async () => {
    const cacheDir = temp();
    const first = await resolveModelSource(GOLDEN_DIFFUSERS, { cacheDir });
    expect(first.identity).toEqual({ name: 'diffusers', format: 'diffusers', weights: 'fp32' });
    expect(first.dir.startsWith(join(cacheDir, 'graphs'))).toBe(true);
    expect(inode(join(first.dir, 'unet', 'diffusion_pytorch_model.safetensors'))).toBe(inode(join(GOLDEN_DIFFUSERS, 'unet', 'diffusion_pytorch_model.safetensors')));
    const folder = await loadModelFolder(first.dir);
    expect(folder.summary.unetInChannels).toBe(9);
    const built = statSync(join(first.dir, 'unet', 'model.onnx')).mtimeMs;
    const second = await resolveModelSource(GOLDEN_DIFFUSERS, { cacheDir });
    expect(second.dir).toBe(first.dir);
    expect(statSync(join(second.dir, 'unet', 'model.onnx')).mtimeMs).toBe(built);
    expect(readdirSync(join(cacheDir, 'graphs'))).toHaveLength(1);
  });

  it('clears a half-built folder left by a process that died, and builds anew', async () => {
    const cacheDir = temp();
    const fingerprint = planFingerprint(diffusersPlan(GOLDEN_DIFFUSERS));
    // pid 2^22 + 1 is above Linux's pid_max: certainly not running.
    const abandoned = join(cacheDir, 'graphs', `${fingerprint}.partial-4194305-1`);
    mkdirSync(join(abandoned, 'unet'), { recursive: true });
    const resolved = await resolveModelSource(GOLDEN_DIFFUSERS, { cacheDir });
    expect(readdirSync(join(cacheDir, 'graphs'))).toEqual([fingerprint]);
    expect(resolved.dir).toBe(join(cacheDir, 'graphs', fingerprint));
  });

  it('finds a repo id in the Hugging Face cache and links the blobs behind its symlinks (fp16 variant first)', async () => {
    const hub = fakeHubCache();
    const resolved = await resolveModelSource('org/tiny-inpaint', { cacheDir: temp(), env: { HF_HUB_CACHE: hub } });
    expect(resolved.identity).toEqual({ name: 'org/tiny-inpaint', format: 'diffusers', weights: 'fp16+fp32' });
    const linked = join(resolved.dir, 'unet', 'diffusion_pytorch_model.fp16.safetensors');
    expect(statSync(linked).isFile()).toBe(true);
    const blob = readdirSync(join(hub, 'models--org--tiny-inpaint', 'blobs')).map((b) => join(hub, 'models--org--tiny-inpaint', 'blobs', b));
    expect(blob.map(inode)).toContain(inode(linked));
    await expect(loadModelFolder(resolved.dir)).resolves.toBeTruthy();
    // onnxruntime accepts the hard links where it refuses the snapshot's symlinks.
    const session = await ort.InferenceSession.create(join(resolved.dir, 'unet', 'model.onnx'));
    await session.release();
    await expect(resolveModelSource('org/absent', { cacheDir: temp(), env: { HF_HUB_CACHE: hub } })).rejects.toThrow(/org\/absent is not in the Hugging Face cache .*genfill model install org\/absent/);
  });

  it('finds a repo in the Hugging Face cache that holds a single checkpoint file', async () => {
    const hub = temp();
    const repo = join(hub, 'models--someone--tiny-finetune');
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(join(repo, 'snapshots', COMMIT), { recursive: true });
    mkdirSync(join(repo, 'refs'));
    cpSync(GOLDEN_SINGLE_FILE, join(repo, 'blobs', 'sha'));
    symlinkSync('../../blobs/sha', join(repo, 'snapshots', COMMIT, 'finetune.safetensors'));
    writeFileSync(join(repo, 'refs', 'main'), COMMIT);
    const resolved = await resolveModelSource('someone/tiny-finetune', { cacheDir: temp(), configFrom: GOLDEN_DIFFUSERS, env: { HF_HUB_CACHE: hub } });
    expect(resolved.identity).toEqual({ name: 'someone/tiny-finetune/finetune.safetensors', format: 'single-file', weights: 'fp32' });
    expect(inode(join(resolved.dir, 'unet', 'finetune.safetensors'))).toBe(inode(join(repo, 'blobs', 'sha')));
  });

  it('copies a weight file once where a hard link is impossible, and hard-links the copy for the other graphs', async () => {
    const target = join(temp(), 'model');
    const progress: number[] = [];
    // Linking the source fails as across file systems; linking inside the new folder works. Sources are linked by
    // their real path (cache symlinks resolved), so compare real paths: ../shared may itself be a link.
    const source = realpathSync(GOLDEN_SINGLE_FILE);
    const link = (from: string, to: string): void => {
      if (realpathSync(from) === source) throw Object.assign(new Error('cross-device link'), { code: 'EXDEV' });
      linkSync(from, to);
    };
    await writeGraphFolder(singleFilePlan(GOLDEN_SINGLE_FILE, { configFrom: GOLDEN_DIFFUSERS }), target, { link, onProgress: (done, total) => progress.push(done / total) });
    const copies = ['text_encoder', 'text_encoder_2', 'unet', 'vae_encoder', 'vae_decoder'].map((c) => join(target, c, 'model.safetensors'));
    expect(new Set(copies.map(inode)).size).toBe(1);
    expect(inode(copies[0])).not.toBe(inode(GOLDEN_SINGLE_FILE));
    expect(statSync(copies[0]).size).toBe(statSync(GOLDEN_SINGLE_FILE).size);
    expect(progress.at(-1)).toBe(1);
    expect(existsSync(join(target, 'genfill-source.json'))).toBe(true);
  });

  it('runs bf16 weights (cast to fp32 in the graph): the VAE decoder within bf16 rounding of diffusers', async () => {
    const dir = join(temp(), 'bf16');
    linkedDiffusersCopy(GOLDEN_DIFFUSERS, dir, (target) => {
      rmSync(join(target, 'vae', 'diffusion_pytorch_model.safetensors'));
      toBfloat16(join(GOLDEN_DIFFUSERS, 'vae', 'diffusion_pytorch_model.safetensors'), join(target, 'vae', 'diffusion_pytorch_model.safetensors'));
    });
    const resolved = await resolveModelSource(dir, { cacheDir: temp() });
    expect(resolved.identity.weights).toBe('bf16+fp32');
    const components = JSON.parse(readFileSync(join(GOLDEN, 'components', 'components.json'), 'utf8')) as { vae_decoder: { latent_sample: { file: string; shape: number[] }; sample: { file: string } } };
    const { latent_sample: input, sample } = components.vae_decoder;
    const session = await ort.InferenceSession.create(join(resolved.dir, 'vae_decoder', 'model.onnx'));
    try {
      const out = await session.run({ latent_sample: new ort.Tensor('float32', readF32(join(GOLDEN, 'components', input.file)), input.shape) });
      // bf16 keeps 8 significant bits (rounding ≤ 2⁻⁹ relative per weight); through this random VAE's 30-odd
      // normalised layers that measured 1.8e-2 relative. Misread bytes (e.g. bf16 taken for fp16) give ~1.
      expect(relativeError(out.sample.data as Float32Array, readF32(join(GOLDEN, 'components', sample.file)))).toBeLessThan(5e-2);
    } finally {
      await session.release();
    }
  });

  it('reads sharded fp16 weights through diffusers\' variant index name, and refuses a shard outside the folder', () => {
    const dir = join(temp(), 'sharded');
    const shard = 'diffusion_pytorch_model.fp16-00001-of-00001.safetensors';
    const fp16 = join(GOLDEN_DIFFUSERS, 'unet', 'diffusion_pytorch_model.fp16.safetensors');
    const names = Object.keys(JSON.parse(readFileSync(fp16).subarray(8, 8 + Number(readFileSync(fp16).readBigUInt64LE(0))).toString('utf8')) as object).filter((n) => n !== '__metadata__');
    const index = (to: string): string => JSON.stringify({ weight_map: Object.fromEntries(names.map((n) => [n, to])) });
    linkedDiffusersCopy(GOLDEN_DIFFUSERS, dir, (target) => {
      for (const file of readdirSync(join(target, 'unet'))) if (file.endsWith('.safetensors')) rmSync(join(target, 'unet', file));
      symlinkSync(fp16, join(target, 'unet', shard));
      writeFileSync(join(target, 'unet', 'diffusion_pytorch_model.safetensors.index.fp16.json'), index(shard));
    });
    // Only the shard holds UNet weights now: the plan finds them through the index (fp16 UNet, fp32 elsewhere).
    expect(diffusersPlan(dir, { variant: 'fp16' }).identity.weights).toBe('fp16+fp32');

    writeFileSync(join(dir, 'unet', 'diffusion_pytorch_model.safetensors.index.fp16.json'), index('../text_encoder/model.safetensors'));
    expect(() => diffusersPlan(dir, { variant: 'fp16' })).toThrow(/index\.fp16\.json: "weight_map" puts .* in "\.\.\/text_encoder\/model\.safetensors", not a \.safetensors file in/);
  });

  it('gives a single file the bundled CLIP tokenizers when no --config-from has them', async () => {
    const target = join(temp(), 'model');
    await writeGraphFolder({ ...singleFilePlan(GOLDEN_SINGLE_FILE, { configFrom: GOLDEN_DIFFUSERS }), tokenizerRoot: null }, target);
    for (const folder of ['tokenizer', 'tokenizer_2']) {
      expect(readFileSync(join(target, folder, 'vocab.json'), 'utf8')).toBe(JSON.stringify(JSON.parse(readFileSync(join(GOLDEN_DIFFUSERS, folder, 'vocab.json'), 'utf8'))));
      expect(readFileSync(join(target, folder, 'merges.txt'), 'utf8').trimEnd()).toBe(readFileSync(join(GOLDEN_DIFFUSERS, folder, 'merges.txt'), 'utf8').trimEnd());
    }
    const pad = (folder: string): unknown => (JSON.parse(readFileSync(join(target, folder, 'special_tokens_map.json'), 'utf8')) as { pad_token: unknown }).pad_token;
    expect([pad('tokenizer'), pad('tokenizer_2')]).toEqual(['<|endoftext|>', '!']);
    await expect(loadModelFolder(target)).resolves.toBeTruthy();
  });
});
