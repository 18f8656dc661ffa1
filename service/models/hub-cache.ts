/**
 * The Hugging Face hub cache layout (what `huggingface_hub` writes and every HF tool reads), so a model the user
 * already downloaded for other tools is found, and `genfill model install` writes where those tools look:
 *
 *   <cache>/models--<org>--<name>/refs/<revision>        → commit hash (text)
 *   <cache>/models--<org>--<name>/snapshots/<hash>/<path> → symlink to ../../blobs/<etag>
 *   <cache>/models--<org>--<name>/blobs/<etag>            → the file's bytes (etag = sha256 for LFS files)
 *
 * <cache> is HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub (huggingface_hub's own order).
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `org/name`, as the hub spells repo ids; a path (with a leading `.`, `/`, `~` or a drive letter) never matches. */
const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

const COMMIT = /^[0-9a-f]{40}$/;

export function isRepoId(text: string): boolean {
  return REPO_ID.test(text) && !text.includes('..');
}

/** HF_HOME, else ~/.cache/huggingface: the cache lives under it, and so does the token `hf auth login` saves. */
export function hfHomeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
}

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HUB_CACHE || join(hfHomeDir(env), 'hub');
}

/** The repo's folder inside the cache: `models--org--name`. */
export function repoCacheDir(repoId: string, cacheDir: string): string {
  return join(cacheDir, `models--${repoId.split('/').join('--')}`);
}

/**
 * The snapshot folder of `repoId` at `revision` (a branch or tag name under refs/, or a commit hash), or undefined
 * when the cache does not hold it.
 */
export function findCachedSnapshot(
  repoId: string,
  options: { revision?: string; cacheDir?: string } = {},
): string | undefined {
  const repoDir = repoCacheDir(repoId, options.cacheDir ?? hubCacheDir());
  const revision = options.revision ?? 'main';
  if (revision.split('/').includes('..')) return undefined;
  let commit = revision;
  try {
    commit = readFileSync(join(repoDir, 'refs', revision), 'utf8').trim();
  } catch {
    // Not a ref name: the revision may itself be a commit hash.
  }
  // A ref file holds a commit hash; anything else (a damaged or planted file) must not become a path.
  if (!COMMIT.test(commit)) return undefined;
  const snapshot = join(repoDir, 'snapshots', commit);
  try {
    return statSync(snapshot).isDirectory() ? snapshot : undefined;
  } catch {
    return undefined;
  }
}
