import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCachedSnapshot, hubCacheDir, isRepoId, repoCacheDir } from '../../service/models/hub-cache';

describe('hub cache layout', () => {
  it('tells repo ids from paths', () => {
    expect(isRepoId('diffusers/stable-diffusion-xl-1.0-inpainting-0.1')).toBe(true);
    for (const path of ['./models/x', '/models/x', '~/x/y', 'C:/x', 'a/b/c', '../x', 'a/..']) {
      expect(isRepoId(path), path).toBe(false);
    }
  });

  it('follows huggingface_hub in choosing the cache folder', () => {
    expect(hubCacheDir({ HF_HUB_CACHE: '/c', HF_HOME: '/h' })).toBe('/c');
    expect(hubCacheDir({ HF_HOME: '/h' })).toBe(join('/h', 'hub'));
    expect(hubCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(join('/x', 'huggingface', 'hub'));
  });

  it('finds a snapshot through refs/main or by commit hash, and nothing else', () => {
    const abc123 = 'abc123'.padEnd(40, '0');
    const cache = mkdtempSync(join(tmpdir(), 'genfill-hub-'));
    const repo = repoCacheDir('org/model', cache);
    expect(repo).toBe(join(cache, 'models--org--model'));
    mkdirSync(join(repo, 'refs'), { recursive: true });
    mkdirSync(join(repo, 'snapshots', abc123), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), `${abc123}\n`);
    writeFileSync(join(repo, 'refs', 'bad'), '../../../etc\n');
    expect(findCachedSnapshot('org/model', { cacheDir: cache })).toBe(join(repo, 'snapshots', abc123));
    expect(findCachedSnapshot('org/model', { cacheDir: cache, revision: abc123 })).toBe(join(repo, 'snapshots', abc123));
    expect(findCachedSnapshot('org/model', { cacheDir: cache, revision: 'dev' })).toBeUndefined();
    expect(findCachedSnapshot('org/other', { cacheDir: cache })).toBeUndefined();
    // A ref that does not hold a commit hash, or a revision that climbs out of refs/, finds nothing.
    expect(findCachedSnapshot('org/model', { cacheDir: cache, revision: 'bad' })).toBeUndefined();
    expect(findCachedSnapshot('org/model', { cacheDir: cache, revision: '../refs/main' })).toBeUndefined();
  });
});
