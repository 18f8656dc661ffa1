/**
 * The hash the hub publishes for a file, computed on the fly while it streams to disk: sha256 of the content for
 * LFS files (the `lfs.sha256` of the file list), and for the small files git keeps itself the git blob id — sha1 of
 * `blob <size>\0` followed by the content — which is the `blobId` the hub lists.
 */
import { createHash, type Hash } from 'node:crypto';
import type { HubFile } from './hub-api';

export class BlobDigest {
  readonly algorithm: 'sha256' | 'git blob sha1';
  readonly expected: string;
  private readonly hash: Hash;

  constructor(file: HubFile) {
    if (file.lfsSha256) {
      this.algorithm = 'sha256';
      this.expected = file.lfsSha256;
      this.hash = createHash('sha256');
    } else {
      this.algorithm = 'git blob sha1';
      this.expected = file.blobId;
      this.hash = createHash('sha1').update(`blob ${file.size}\0`);
    }
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}
