/** A scriptable ServiceClient for store and panel tests (the real service is exercised in e2e.test.ts). */
import { PROTOCOL_VERSION } from '../../core/protocol';
import type { Health, JobCreated, JobSnapshot, JobState } from '../../core/protocol';
import { ServiceError } from '../../plugin/client/service-client';
import type { EncodedImage, JobRequest, ServiceClient } from '../../plugin/client/service-client';
import type { RawImage } from '../../plugin/raw-image';
import type { SecretStorage } from '../../plugin/state/secret-storage';
import { fakeResult } from './fixtures';

export function healthy(overrides: Partial<Health> = {}): Health {
  return {
    name: 'genfill',
    version: '0.1.0',
    protocol: PROTOCOL_VERSION,
    engines: [{ name: 'classic', state: 'ready', model: 'patchmatch', provider: 'cpu', dtype: null, reason: null }],
    defaultEngine: 'classic',
    queue: { running: null, queued: 0, capacity: 4 },
    authRequired: false,
    ...overrides,
  };
}

export const unreachable = () => new ServiceError('unreachable', 'connect ECONNREFUSED', null);

export class FakeServiceClient implements ServiceClient {
  readonly url: string;
  health_: Health | ServiceError = healthy();
  createError: ServiceError | null = null;
  /** Polls that report `running` before the job ends. */
  runningPolls = 2;
  outcome: 'succeeded' | 'failed' = 'succeeded';
  /** Keep running until cancel() is called. */
  holdUntilCancelled = false;
  /** Variations that had finished when a cancel arrived (the service keeps them). */
  finishedBeforeCancel = 0;
  /** The job's warnings once it has ended. */
  warnings: string[] = [];
  readonly requests: JobRequest[] = [];
  readonly log: string[] = [];
  /** Thumbnails are answered only once this settles (null: at once). */
  thumbnailsHeld: Promise<void> | null = null;
  /** Called on every request (e.g. to assert that Photoshop is not held modal meanwhile). */
  onRequest: () => void = () => undefined;
  #polls = 0;
  #cancelled = false;

  constructor(url = 'http://127.0.0.1:7870') {
    this.url = url;
  }

  async health(): Promise<Health> {
    this.log.push('health');
    if (this.health_ instanceof ServiceError) throw this.health_;
    return this.health_;
  }

  async createJob(request: JobRequest): Promise<JobCreated> {
    this.log.push('createJob');
    this.onRequest();
    if (this.createError) throw this.createError;
    this.requests.push(request);
    this.#polls = 0;
    this.#cancelled = false;
    return { id: `job${this.requests.length}`, position: 0 };
  }

  async job(id: string): Promise<JobSnapshot> {
    this.log.push('job');
    this.onRequest();
    this.#polls++;
    const variations = this.requests.at(-1)?.params.variations ?? 1;
    const state: JobState = this.#cancelled ? 'cancelled' : this.holdUntilCancelled || this.#polls <= this.runningPolls ? 'running' : this.outcome;
    const seed = this.requests.at(-1)?.params.seed ?? 1234;
    const image = this.requests.at(-1)!.image;
    return {
      id,
      state,
      position: null,
      engine: 'classic',
      createdAt: '',
      startedAt: '',
      finishedAt: null,
      progress: { phase: 'denoising', variation: null, variations, step: Math.min(this.#polls, 20), steps: 20, fraction: Math.min(1, this.#polls / 20), etaSeconds: 12 },
      previewRevision: this.#polls,
      results: Array.from({ length: state === 'succeeded' ? variations : state === 'cancelled' ? this.finishedBeforeCancel : 0 }, (_, index) => ({
        index,
        seed: seed + index,
        width: image.width,
        height: image.height,
      })),
      error: state === 'failed' ? { code: 'engine_failed', message: 'the model ran out of memory' } : null,
      warnings: state === 'running' ? [] : this.warnings,
      seed,
      workingSize: null,
    };
  }

  async cancel(id: string): Promise<void> {
    this.log.push(`cancel ${id}`);
    this.onRequest();
    this.#cancelled = true;
  }

  async result(id: string, index: number): Promise<RawImage> {
    this.log.push(`result ${id} ${index}`);
    this.onRequest();
    const image = this.requests.at(-1)!.image;
    return fakeResult(image.width, image.height);
  }

  async resultImage(id: string, index: number): Promise<EncodedImage> {
    this.log.push(`resultImage ${id} ${index}`);
    await this.thumbnailsHeld;
    return { bytes: new Uint8Array([137, 80, 78, 71]), mimeType: 'image/png' };
  }

  async preview(id: string): Promise<EncodedImage | null> {
    this.log.push(`preview ${id}`);
    return { bytes: new Uint8Array([255, 216, 255]), mimeType: 'image/jpeg' };
  }
}

/** Secure storage as a map; `failWrites` makes every write reject, like a full or locked keychain. */
export class MemorySecrets implements SecretStorage {
  readonly items = new Map<string, string>();
  failWrites = false;
  async read(key: string): Promise<string | null> {
    return this.items.get(key) ?? null;
  }
  async write(key: string, value: string | null): Promise<void> {
    if (this.failWrites) throw new Error('keychain locked');
    if (value === null) this.items.delete(key);
    else this.items.set(key, value);
  }
}

export class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}
