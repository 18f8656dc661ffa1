/**
 * Encoded results (PNG, JPEG, thumbnails) for `GET /v1/jobs/:id/results/:n`: each encoded once per result, format and
 * size, shared by every request that wants it — concurrent ones wait for the same encode — and kept with the job,
 * its bytes counted in the retention budget. Encodes running at once are capped over all results; the rest queue.
 * The panel's thumbnail (`jpeg`, `THUMBNAIL_MAX_SIDE`) usually comes made with the result (result-thumbnail.ts) and
 * is served as it is; a result without one has it encoded here like any other.
 */
import { THUMBNAIL_MAX_SIDE } from '../../core/protocol';
import { encodeForDisplay } from '../imaging/codec';
import type { Pixels } from '../imaging/pixels';
import type { Job } from './job';

export type DisplayFormat = 'png' | 'jpeg';
export type DisplayEncoder = (pixels: Pixels, format: DisplayFormat, maxSide?: number) => Promise<Buffer>;

export interface ResultEncodingsOptions {
  /** Defaults to libvips (sharp); tests count calls. */
  encode?: DisplayEncoder;
  /** Encodes running at once, over all results (each holds its result's pixels and its output). */
  maxConcurrent: number;
  /**
   * Encodings kept per job: `perResult` for each of its results (a panel shows every variation's thumbnail and
   * fetches a PNG of each), at least `minPerJob`; past it the least recently used is dropped.
   */
  perResult: number;
  minPerJob: number;
  /** Bytes the job's encodings now hold more (or, negative, less): the retention budget counts them. */
  onHeldBytes(job: Job, delta: number): void;
}

interface Entry {
  encoded: Promise<Buffer>;
  /** Set once the encode has finished (counted in the budget from then on). */
  bytes: number;
}

export const DEFAULT_ENCODINGS = { maxConcurrent: 2, perResult: 2, minPerJob: 4 } as const;

export class ResultEncodings {
  readonly #options: ResultEncodingsOptions;
  readonly #encode: DisplayEncoder;
  /** Per job, so the encodings go with the job when it is removed. */
  readonly #byJob = new WeakMap<Job, Map<string, Entry>>();
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(options: ResultEncodingsOptions) {
    this.#options = options;
    this.#encode = options.encode ?? encodeForDisplay;
  }

  encoded(job: Job, index: number, format: DisplayFormat, maxSide?: number): Promise<Buffer> {
    const { pixels, thumbnail } = job.results[index];
    // Counted with the result (Job.resultBytes), not here.
    if (thumbnail && format === 'jpeg' && maxSide === THUMBNAIL_MAX_SIDE) {
      return Promise.resolve(Buffer.from(thumbnail.buffer, thumbnail.byteOffset, thumbnail.byteLength));
    }
    let entries = this.#byJob.get(job);
    if (!entries) this.#byJob.set(job, (entries = new Map()));
    const key = `${index}/${format}/${maxSide ?? 'full'}`;
    const cached = entries.get(key);
    if (cached) {
      // Most recently used last (a Map keeps insertion order): eviction takes the front.
      entries.delete(key);
      entries.set(key, cached);
      return cached.encoded;
    }

    const entry: Entry = { encoded: this.#limited(() => this.#encode(pixels, format, maxSide)), bytes: 0 };
    entries.set(key, entry);
    this.#evictBeyond(job, entries);
    entry.encoded.then(
      (buffer) => {
        if (entries.get(key) !== entry) return; // dropped meanwhile
        entry.bytes = buffer.byteLength;
        this.#options.onHeldBytes(job, entry.bytes);
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key); // the next request tries again
      },
    );
    return entry.encoded;
  }

  #evictBeyond(job: Job, entries: Map<string, Entry>): void {
    const cap = Math.max(this.#options.minPerJob, this.#options.perResult * job.results.length);
    for (const [key, entry] of entries) {
      if (entries.size <= cap) return;
      entries.delete(key);
      if (entry.bytes > 0) this.#options.onHeldBytes(job, -entry.bytes);
    }
  }

  async #limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#options.maxConcurrent) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
