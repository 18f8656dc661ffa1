/**
 * `genfill model install`: downloads a diffusers repo from the Hugging Face hub into the hub cache layout
 * (hub-cache.ts), the way huggingface_hub does, so the files are shared with every other Hugging Face tool:
 *
 * - each file streams to `blobs/<etag>.incomplete`, hashed on the way (never held in memory); an interrupted file
 *   resumes from its last byte with an HTTP Range request, now (a few retries) or on the next run;
 * - a file becomes `blobs/<etag>` only once its sha256 (LFS) or git blob id matches the hub's file list; a mismatch
 *   deletes the partial and names the file;
 * - only when every file is verified do `snapshots/<commit>/<path>` links appear (relative symlinks; where the OS
 *   refuses symlinks, e.g. Windows without developer mode, the blob is moved there instead, as huggingface_hub
 *   does), and then `refs/<revision>`: a failed or stopped install never leaves a half snapshot for --model to find.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, rmdir, stat, statfs, symlink, truncate, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlobDigest } from './blob-digest';
import { blobName, fetchFile, fetchRevision, HubError, type HubFile, type HubSettings, hubSettings } from './hub-api';
import { hubCacheDir, isRepoId, repoCacheDir } from './hub-cache';
import { type InstallPlan, planInstall } from './install-plan';
import { formatBytes } from './progress-bar';

export const DEFAULT_INSTALL_REPO = 'diffusers/stable-diffusion-xl-1.0-inpainting-0.1';

export interface InstallProgress {
  doneBytes: number;
  totalBytes: number;
  /** Of doneBytes, those this run fetched (the rest was in the cache already). */
  fetchedBytes: number;
  /** The file being fetched. */
  file: string;
}

export interface InstallOptions {
  repoId: string;
  /** Branch, tag or commit hash; default `main`. */
  revision?: string;
  /** HF_HUB_CACHE / HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE are read from here. */
  env?: NodeJS.ProcessEnv;
  userAgent?: string;
  /** Aborting stops the download; what arrived stays in the cache for the next run. */
  signal?: AbortSignal;
  /** Called once the files are chosen, before the long part; `missingBytes` = what is not in the cache yet. */
  onPlan?: (plan: InstallPlan, where: { cacheDir: string; missingBytes: number }) => void;
  onProgress?: (progress: InstallProgress) => void;
  /** Tries per file before giving up (each resumes where the last stopped); default 5. */
  attempts?: number;
  /** Wait before the first retry, doubled each time (capped at 30 s); default 1 s. */
  retryDelayMs?: number;
  /** A connection that sends nothing for this long is dropped and resumed; default 60 s. */
  stallMs?: number;
  /** Tests stand in a symlink that fails, as Windows' does without developer mode. */
  symlink?: (target: string, path: string) => Promise<void>;
}

export interface InstallResult {
  repoId: string;
  revision: string;
  commit: string;
  snapshotDir: string;
  plan: InstallPlan;
  /** Bytes fetched by this run (0 when everything was already there). */
  downloadedBytes: number;
}

/** Commit hashes and branch/tag names become folder and file names: keep them inside refs/ and snapshots/. */
const REVISION = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]*$/;
/** symlink() error codes that mean "this OS or filesystem does not do symlinks (for this user)". */
const NO_SYMLINKS = new Set(['EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);
/** Write errors that no retry will fix. */
const DISK_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR']);

export async function installFromHub(options: InstallOptions): Promise<InstallResult> {
  const { repoId, revision = 'main' } = options;
  const env = options.env ?? process.env;
  if (!isRepoId(repoId)) throw new HubError('usage', `"${repoId}" is not a Hugging Face repo id (org/name, as in ${DEFAULT_INSTALL_REPO})`);
  if (!REVISION.test(revision)) throw new HubError('usage', `--revision "${revision}" is not a branch, tag or commit hash`);
  const settings = hubSettings(env, options.userAgent);
  if (settings.offline) {
    throw new HubError(
      'unreachable',
      'HF_HUB_OFFLINE is set, so genfill does not contact the Hugging Face hub: unset it to install, or use files you already have: npm start -- --model <folder>',
    );
  }
  const cacheDir = hubCacheDir(env);
  const { commit, files } = await fetchRevision(settings, repoId, revision, options.signal);
  const indexFile = files.find((f) => f.path === 'model_index.json');
  if (!indexFile) {
    throw new HubError(
      'layout',
      `${repoId} has no model_index.json: genfill model install fetches diffusers-layout repos. For a single-file checkpoint, download the .safetensors and use --model <file>.`,
    );
  }
  const repoDir = repoCacheDir(repoId, cacheDir);
  const unlock = await lockRepo(repoDir, repoId);
  try {
    const store = new BlobStore(settings, repoId, commit, repoDir, options);
    return await install(store, files, indexFile, { ...options, revision, commit, cacheDir });
  } finally {
    await unlock();
  }
}

async function install(
  store: BlobStore,
  files: HubFile[],
  indexFile: HubFile,
  options: InstallOptions & { revision: string; commit: string; cacheDir: string },
): Promise<InstallResult> {
  const { repoId, revision, commit, cacheDir } = options;
  await store.ensure(indexFile);
  let modelIndex: unknown;
  try {
    modelIndex = JSON.parse(await readFile(await store.contentPath(indexFile), 'utf8'));
  } catch (error) {
    throw new HubError('layout', `${repoId}: model_index.json is not JSON (${(error as Error).message})`, { cause: error });
  }
  const plan = planInstall(repoId, files, modelIndex);
  const missingBytes = await store.checkFreeSpace(plan.files);
  options.onPlan?.(plan, { cacheDir, missingBytes });

  store.startProgress(plan.totalBytes);
  for (const file of plan.files) await store.ensure(file);
  const snapshotDir = await store.linkSnapshot(plan.files);
  if (revision !== commit) await store.writeRef(revision);
  return { repoId, revision, commit, snapshotDir, plan, downloadedBytes: store.downloadedBytes };
}

/**
 * Two installs of one repo at once would append to the same partial files: the second one is refused while the
 * first one's process lives (a lock left by a killed run is taken over).
 */
async function lockRepo(repoDir: string, repoId: string): Promise<() => Promise<void>> {
  const lock = join(repoDir, '.genfill-install.lock');
  await mkdir(repoDir, { recursive: true });
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      return () => rm(lock, { force: true });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
    const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
    if (holder > 0 && isRunning(holder)) {
      throw new HubError('usage', `Another genfill model install (process ${holder}) is downloading ${repoId} into this cache: let it finish, or stop it first.`);
    }
    await rm(lock, { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM'; // alive, but another user's
  }
}

/** One repo's folder in the cache, at one commit: its blobs, its snapshot, its refs. */
class BlobStore {
  downloadedBytes = 0;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly stallMs: number;
  private readonly symlink: (target: string, path: string) => Promise<void>;
  private readonly snapshotDir: string;
  /** Bytes on disk per file, for the overall progress. */
  private readonly onDisk = new Map<string, number>();
  private totalBytes = 0;

  constructor(
    private readonly settings: HubSettings,
    private readonly repoId: string,
    private readonly commit: string,
    private readonly repoDir: string,
    private readonly options: InstallOptions,
  ) {
    this.attempts = options.attempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.stallMs = options.stallMs ?? 60_000;
    this.symlink = options.symlink ?? ((target, path) => symlink(target, path));
    this.snapshotDir = join(repoDir, 'snapshots', commit);
  }

  private blobPath(file: HubFile): string {
    return join(this.repoDir, 'blobs', blobName(file));
  }

  /** Where the file's verified bytes are: its blob, or its snapshot entry (a moved blob, or another tool's copy). */
  private async completePath(file: HubFile): Promise<string | undefined> {
    for (const path of [this.blobPath(file), join(this.snapshotDir, file.path)]) {
      if ((await sizeOf(path)) === file.size) return path;
    }
    return undefined;
  }

  async contentPath(file: HubFile): Promise<string> {
    const path = await this.completePath(file);
    if (!path) throw new Error(`${file.path} is not in the cache`);
    return path;
  }

  /** What is left to fetch, in bytes; fails before the first byte when the disk cannot take it. */
  async checkFreeSpace(files: HubFile[]): Promise<number> {
    let needed = 0;
    const unique = new Map(files.map((f) => [blobName(f), f]));
    for (const file of unique.values()) {
      if (!(await this.completePath(file))) needed += file.size - ((await sizeOf(`${this.blobPath(file)}.incomplete`)) ?? 0);
    }
    const blobs = join(this.repoDir, 'blobs');
    await mkdir(blobs, { recursive: true });
    const fs = await statfs(blobs).catch(() => undefined); // a filesystem that cannot say: the download will tell
    const free = fs ? fs.bavail * fs.bsize : Infinity;
    if (needed > free) {
      throw new HubError(
        'disk',
        `${formatBytes(needed)} more are needed in ${blobs}, but ${formatBytes(free)} are free: free some space, or point HF_HUB_CACHE (or HF_HOME) at a bigger disk.`,
      );
    }
    return needed;
  }

  startProgress(totalBytes: number): void {
    this.totalBytes = totalBytes;
  }

  private progress(file: HubFile, bytes: number): void {
    this.onDisk.set(file.path, bytes);
    if (this.totalBytes === 0) return;
    let done = 0;
    for (const value of this.onDisk.values()) done += value;
    this.options.onProgress?.({ doneBytes: done, totalBytes: this.totalBytes, fetchedBytes: this.downloadedBytes, file: file.path });
  }

  /** The file complete and verified in blobs/ (or already in the snapshot): fetched, resumed, or left alone. */
  async ensure(file: HubFile): Promise<void> {
    if (await this.completePath(file)) return this.progress(file, file.size);
    const partial = `${this.blobPath(file)}.incomplete`;
    await mkdir(dirname(partial), { recursive: true });
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.fetchInto(file, partial);
        break;
      } catch (error) {
        if (this.options.signal?.aborted) throw await this.stopped(file, partial);
        const failure = asHubError(error, partial);
        if (!failure.retryable) throw failure;
        if (attempt >= this.attempts) throw failure.kind === 'unreachable' ? failure : await this.interrupted(file, partial, failure);
        await sleep(Math.min(30_000, this.retryDelayMs * 2 ** (attempt - 1)), undefined, { signal: this.options.signal }).catch(() => undefined);
      }
    }
    await rename(partial, this.blobPath(file));
  }

  /** Appends the rest of the file to `partial` and checks the whole against the hub's hash. */
  private async fetchInto(file: HubFile, partial: string): Promise<void> {
    let offset = (await sizeOf(partial)) ?? 0;
    if (offset > file.size) {
      await truncate(partial, 0);
      offset = 0;
    }
    let digest = new BlobDigest(file);
    // The bytes already there count in the hash: read them back rather than trust a hash state from a killed run.
    if (offset > 0) for await (const chunk of createReadStream(partial, { end: offset - 1 })) digest.update(chunk as Buffer);
    this.progress(file, offset);

    if (offset < file.size) {
      const stall = new AbortController();
      const signal = this.options.signal ? AbortSignal.any([this.options.signal, stall.signal]) : stall.signal;
      let timer = setTimeout(() => stall.abort(), this.stallMs);
      const alive = () => {
        clearTimeout(timer);
        timer = setTimeout(() => stall.abort(), this.stallMs);
      };
      try {
        const response = await fetchFile(this.settings, this.repoId, this.commit, file.path, offset, signal);
        if (offset > 0 && response.status !== 206) {
          // The server sent the whole file instead of the rest: start over.
          offset = 0;
          digest = new BlobDigest(file);
          this.progress(file, 0);
        } else if (offset > 0 && !response.headers.get('content-range')?.startsWith(`bytes ${offset}-`)) {
          // Bytes from elsewhere in the file: the partial cannot be continued, fetch it whole on the next try.
          await response.body?.cancel();
          await truncate(partial, 0);
          const answer = response.headers.get('content-range') ?? 'no Content-Range';
          throw new HubError('interrupted', `the hub answered a resume from byte ${offset} with ${answer}`, { retryable: true });
        }
        if (!response.body) throw new HubError('interrupted', `${file.path}: the hub sent no body`, { retryable: true });
        let written = offset;
        const meter = new Transform({
          transform: (chunk: Buffer, _encoding, callback) => {
            alive();
            written += chunk.length;
            if (written > file.size) {
              callback(new HubError('integrity', `${file.path}: the hub sent more than the ${file.size} bytes its file list gives`));
              return;
            }
            digest.update(chunk);
            this.downloadedBytes += chunk.length;
            this.progress(file, written);
            callback(null, chunk);
          },
        });
        const writer = createWriteStream(partial, { flags: offset > 0 ? 'a' : 'w' });
        try {
          await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), meter, writer);
        } finally {
          // pipeline rejects on a dropped connection before the file stream has closed, and a write still in flight
          // would land after the next try read the partial's size: appended there, unhashed.
          if (!writer.closed) await new Promise<void>((resolve) => writer.destroy().once('close', () => resolve()));
        }
      } catch (error) {
        if (error instanceof HubError && error.kind === 'integrity') {
          await rm(partial, { force: true });
          throw error;
        }
        if (stall.signal.aborted && !this.options.signal?.aborted) {
          throw new HubError('interrupted', `no data for ${Math.round(this.stallMs / 1000)} s`, { retryable: true, cause: error });
        }
        throw error;
      } finally {
        clearTimeout(timer);
      }
    }

    const size = (await sizeOf(partial)) ?? 0;
    if (size < file.size) throw new HubError('interrupted', `the connection closed after ${size} of ${file.size} bytes`, { retryable: true });
    if (size > file.size) {
      // Bytes that never passed the hash: the partial cannot be trusted, fetch it whole on the next try.
      await rm(partial, { force: true });
      throw new HubError('interrupted', `${file.path}: the partial file grew to ${size} of ${file.size} bytes`, { retryable: true });
    }
    const actual = digest.hex();
    if (actual !== digest.expected) {
      await rm(partial, { force: true });
      throw new HubError(
        'integrity',
        `${file.path} does not match the hub's ${digest.algorithm} (expected ${digest.expected}, got ${actual}). The download was deleted; run the same command again to fetch it afresh.`,
      );
    }
  }

  private async interrupted(file: HubFile, partial: string, last: HubError): Promise<HubError> {
    const kept = (await sizeOf(partial)) ?? 0;
    return new HubError(
      'interrupted',
      `${file.path}: the download broke off ${this.attempts} times (last: ${last.message}). ${formatBytes(kept)} of ${formatBytes(file.size)} are kept; run the same command again to resume.`,
      { cause: last },
    );
  }

  private async stopped(file: HubFile, partial: string): Promise<HubError> {
    const kept = (await sizeOf(partial)) ?? 0;
    return new HubError('cancelled', `Stopped during ${file.path} (${formatBytes(kept)} of ${formatBytes(file.size)} kept); run the same command again to resume.`);
  }

  /**
   * snapshots/<commit>/ with every planned file. A new snapshot is assembled beside it and renamed into place in one
   * step; into one that exists (another tool's, or an earlier install's), each entry is swapped in atomically.
   */
  async linkSnapshot(files: HubFile[]): Promise<string> {
    const exists = (await stat(this.snapshotDir).catch(() => undefined))?.isDirectory() ?? false;
    // Same depth as snapshots/<commit>, so relative links made for the final place resolve there.
    const staging = join(this.repoDir, '.genfill-staging', this.commit);
    await rm(staging, { recursive: true, force: true });
    // Files with the same bytes share a blob (the two CLIP tokenizers' vocab.json): without symlinks, copy it for
    // all but its last use, and move it there.
    const usesLeft = new Map<string, number>();
    for (const file of files) usesLeft.set(blobName(file), (usesLeft.get(blobName(file)) ?? 0) + 1);
    try {
      for (const file of files) {
        const finalPath = join(this.snapshotDir, file.path);
        const uses = (usesLeft.get(blobName(file)) ?? 1) - 1;
        usesLeft.set(blobName(file), uses);
        if (exists && (await sizeOf(finalPath)) === file.size) continue;
        const source = await this.contentPath(file);
        const path = exists ? `${finalPath}.genfill-tmp` : join(staging, file.path);
        await mkdir(dirname(path), { recursive: true });
        await rm(path, { force: true });
        try {
          await this.symlink(relative(dirname(finalPath), source), path);
        } catch (error) {
          if (!NO_SYMLINKS.has((error as { code?: string }).code ?? '')) throw error;
          // No symlinks here: the snapshot holds the bytes, as huggingface_hub does.
          await (uses > 0 ? copyFile(source, path) : rename(source, path));
        }
        if (exists) await rename(path, finalPath);
      }
      if (!exists) {
        await mkdir(dirname(this.snapshotDir), { recursive: true });
        await rename(staging, this.snapshotDir);
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
      await rmdir(dirname(staging)).catch(() => undefined);
    }
    return this.snapshotDir;
  }

  /** refs/<revision> → the commit, written last: it is what `--model org/name` follows. */
  async writeRef(revision: string): Promise<void> {
    const ref = join(this.repoDir, 'refs', revision);
    await mkdir(dirname(ref), { recursive: true });
    await writeFile(`${ref}.genfill-tmp`, this.commit);
    await rename(`${ref}.genfill-tmp`, ref);
  }
}

/** Any failure as a HubError: disk trouble is final, anything else on the wire (a reset, "terminated") is worth a retry. */
function asHubError(error: unknown, partial: string): HubError {
  if (error instanceof HubError) return error;
  const code = (error as { code?: string }).code;
  if (code && DISK_ERRORS.has(code)) return new HubError('disk', `cannot write ${partial}: ${(error as Error).message}`, { cause: error });
  // fetch says "terminated" or "fetch failed"; the cause says what happened ("other side closed").
  const cause = (error as { cause?: { message?: string } }).cause?.message;
  return new HubError('interrupted', `${(error as Error).message}${cause ? `: ${cause}` : ''}`, { retryable: true, cause: error });
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}
