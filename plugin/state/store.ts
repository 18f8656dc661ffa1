/**
 * The panel's state and its job lifecycle: connection (with retry), settings, generate → poll → results, cancel,
 * insert. Depends only on the Host and ServiceClient interfaces; React reads it through subscribe/getState.
 */
import { DEFAULT_HOST, DEFAULT_PORT, TERMINAL_STATES } from '../../core/protocol';
import type { EngineName } from '../../core/params';
import type { Health, JobProgress, JobSnapshot } from '../../core/protocol';
import { ServiceError } from '../client/service-client';
import type { ServiceClient } from '../client/service-client';
import { HostRefusal } from '../host/host';
import type { Capture, DocumentSummary, Host, InsertTarget } from '../host/host';
import { incompatibility, serviceMessage } from './messages';
import { isStorableSecret } from './secret-storage';
import type { SecretStorage } from './secret-storage';
import { jobParams, layerName, persistedSettings, restoreSettings, settingsProblems } from './settings';
import type { Settings } from './settings';

export const DEFAULT_SERVICE_URL = `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;
const URL_STORAGE_KEY = 'genfill.serviceUrl';
const TOKEN_STORAGE_KEY = 'genfill.serviceToken';
const SETTINGS_STORAGE_KEY = 'genfill.settings';

export type Connection =
  | { status: 'connecting'; url: string }
  | { status: 'connected'; url: string; health: Health }
  /** No answer; the store retries by itself. */
  | { status: 'unreachable'; url: string; message: string }
  /** An answer this panel can't work with (other protocol version, not genfill); retried only on request. */
  | { status: 'incompatible'; url: string; message: string };

export interface ResultView {
  index: number;
  seed: number;
  thumbnailUrl: string | null;
  inserted: boolean;
}

export type JobView =
  | { phase: 'idle' }
  | { phase: 'reading' }
  | { phase: 'submitting' }
  | {
      phase: 'running';
      jobId: string;
      state: JobSnapshot['state'];
      position: number | null;
      /** The engine the service chose (engine `auto`), once it is known. */
      engine: EngineName | null;
      progress: JobProgress | null;
      previewUrl: string | null;
      cancelling: boolean;
    }
  | { phase: 'done'; jobId: string; prompt: string; engine: EngineName | null; results: ResultView[]; warnings: string[]; inserting: number | null };

export interface Message {
  kind: 'error' | 'info';
  text: string;
}

export interface PanelState {
  connection: Connection;
  settings: Settings;
  job: JobView;
  message: Message | null;
  document: DocumentSummary | null;
}

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface StoreDependencies {
  host: Host;
  /** `token`: the service's bearer token, null when none is set (a loopback service needs none). */
  createClient: (url: string, token: string | null) => ServiceClient;
  storage: KeyValueStorage;
  /** Where the access token is kept (UXP secureStorage in the panel). */
  secrets: SecretStorage;
  /** Job status polling interval. */
  pollMs?: number;
  /** Delay between reconnection attempts while the service is unreachable. */
  retryMs?: number;
  /** Delay between health checks while connected, so a service that went away shows as such. */
  healthMs?: number;
}

/** What the UI may ask of the store. */
export type PanelActions = Pick<
  PanelStore,
  'connect' | 'setService' | 'updateSettings' | 'reuseSeed' | 'dismissMessage' | 'generate' | 'cancel' | 'insert' | 'insertAll'
>;

export class PanelStore {
  readonly #host: Host;
  readonly #createClient: (url: string, token: string | null) => ServiceClient;
  readonly #storage: KeyValueStorage;
  readonly #secrets: SecretStorage;
  readonly #pollMs: number;
  readonly #retryMs: number;
  readonly #healthMs: number;
  readonly #listeners = new Set<() => void>();
  #state: PanelState;
  #client: ServiceClient;
  /** Read from secure storage in start(); null until then, and when none is set. */
  #token: string | null = null;
  /**
   * What the results on screen are inserted with (the capture without the sent pixels, which need not stay in memory)
   * and the service that holds them.
   */
  #capture: InsertTarget | null = null;
  #jobClient: ServiceClient | null = null;
  /** Bumped by every new job or URL so that stale loops stop. */
  #generation = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** The poll loop's pending wait, ended early by dispose. */
  #pollWait: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | null = null;
  #unwatch: (() => void) | null = null;
  #disposed = false;

  constructor(deps: StoreDependencies) {
    this.#host = deps.host;
    this.#createClient = deps.createClient;
    this.#storage = deps.storage;
    this.#secrets = deps.secrets;
    this.#pollMs = deps.pollMs ?? 250;
    this.#retryMs = deps.retryMs ?? 3000;
    this.#healthMs = deps.healthMs ?? 15_000;
    const url = deps.storage.getItem(URL_STORAGE_KEY) ?? DEFAULT_SERVICE_URL;
    this.#client = this.#createClient(url, null);
    this.#state = {
      connection: { status: 'connecting', url },
      settings: restoreSettings(deps.storage.getItem(SETTINGS_STORAGE_KEY)),
      job: { phase: 'idle' },
      message: null,
      document: null,
    };
  }

  getState = (): PanelState => this.#state;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Starts watching the document, reads the stored access token and connects to the service. */
  async start(): Promise<void> {
    this.#unwatch = this.#host.watchDocument(() => this.#refreshDocument());
    this.#refreshDocument();
    const client = this.#client;
    const token = await this.#secrets.read(TOKEN_STORAGE_KEY);
    // setService may have replaced the client meanwhile; it connects by itself.
    if (this.#disposed || client !== this.#client) return;
    if (token) {
      this.#token = token;
      this.#client = this.#createClient(this.#client.url, token);
    }
    return this.connect();
  }

  /** Closing the panel mid-job cancels that job on the service: nobody is left to insert its results. */
  dispose(): void {
    const job = this.#state.job;
    if (job.phase === 'running' && !job.cancelling) void (this.#jobClient ?? this.#client).cancel(job.jobId).catch(() => undefined);
    this.#disposed = true;
    this.#generation++;
    this.#clearRetry();
    if (this.#pollWait) {
      clearTimeout(this.#pollWait.timer);
      this.#pollWait.resolve();
    }
    this.#unwatch?.();
    this.#releaseUrls(this.#state.job);
    this.#listeners.clear();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Connection

  /** Checks the service now; then again every retryMs while it is unreachable, every healthMs while connected. */
  async connect(): Promise<void> {
    this.#clearRetry();
    const client = this.#client;
    const url = client.url;
    if (this.#state.connection.status !== 'connected') this.#set({ connection: { status: 'connecting', url } });
    let connection: Connection;
    try {
      const health = await client.health();
      const problem =
        incompatibility(health) ??
        (health.authRequired && !this.#token ? 'This genfill service requires an access token: choose Change and enter the token it was started with.' : null);
      connection = problem ? { status: 'incompatible', url, message: problem } : { status: 'connected', url, health };
    } catch (error) {
      connection =
        error instanceof ServiceError && error.code === 'unreachable'
          ? { status: 'unreachable', url, message: serviceMessage(error, url) }
          : { status: 'incompatible', url, message: serviceMessage(error, url) };
    }
    if (this.#disposed || client !== this.#client) return;
    this.#set({ connection });
    const next = connection.status === 'unreachable' ? this.#retryMs : connection.status === 'connected' ? this.#healthMs : null;
    if (next !== null) this.#retryTimer = setTimeout(() => void this.connect(), next);
  }

  /** Points the panel at another service (address and optional access token, both persisted). */
  setService(input: string, token = ''): void {
    const url = input.trim().replace(/\/+$/, '');
    if (!/^https?:\/\/[^/\s]+$/i.test(url)) {
      this.#set({ message: { kind: 'error', text: `“${input}” is not a service address. Use the form http://127.0.0.1:7870.` } });
      return;
    }
    const secret = token.trim();
    if (!isStorableSecret(secret)) {
      this.#set({ message: { kind: 'error', text: 'The access token may contain only letters, digits and ASCII punctuation.' } });
      return;
    }
    this.#storage.setItem(URL_STORAGE_KEY, url);
    this.#secrets.write(TOKEN_STORAGE_KEY, secret || null).catch(() => {
      this.#set({ message: { kind: 'info', text: 'The access token could not be saved; you may have to enter it again next time.' } });
    });
    this.#token = secret || null;
    this.#client = this.#createClient(url, this.#token);
    this.#set({ connection: { status: 'connecting', url }, message: null });
    void this.connect();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Settings

  /** Changes settings; all but the prompt are remembered for the next session. */
  updateSettings(patch: Partial<Settings>): void {
    const settings = { ...this.#state.settings, ...patch };
    if (Object.keys(patch).some((key) => key !== 'prompt')) this.#storage.setItem(SETTINGS_STORAGE_KEY, persistedSettings(settings));
    this.#set({ settings });
  }

  /** Fixes the seed to a result's seed so it can be made again (with other settings). */
  reuseSeed(index: number): void {
    const job = this.#state.job;
    const result = job.phase === 'done' ? job.results.find((r) => r.index === index) : undefined;
    if (result) this.updateSettings({ seedMode: 'fixed', seed: result.seed });
  }

  dismissMessage(): void {
    this.#set({ message: null });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Generate → poll → results

  async generate(): Promise<void> {
    const { job, settings } = this.#state;
    if (job.phase === 'reading' || job.phase === 'submitting' || job.phase === 'running') return;
    const problems = settingsProblems(settings);
    // Refusals before anything is read leave the results on screen insertable.
    if (problems.length > 0) return this.#set({ message: { kind: 'error', text: problems.join(' ') } });
    if (this.#state.connection.status !== 'connected') await this.connect();
    const connection = this.#state.connection;
    if (connection.status !== 'connected') {
      const text = connection.status === 'connecting' ? 'Still connecting to the genfill service.' : connection.message;
      return this.#set({ message: { kind: 'error', text } });
    }

    const generation = ++this.#generation;
    this.#releaseUrls(this.#state.job);
    this.#capture = null;
    this.#set({ job: { phase: 'reading' }, message: null });
    let capture: Capture;
    try {
      capture = await this.#host.capture(settings.source);
    } catch (error) {
      return this.#fail(error instanceof HostRefusal ? error.message : `Photoshop could not read the selection: ${errorText(error)}`);
    }
    if (generation !== this.#generation) return;

    this.#set({ job: { phase: 'submitting' } });
    const client = this.#client;
    this.#jobClient = client;
    let jobId: string;
    try {
      const created = await client.createJob({
        params: { ...jobParams(settings), placement: { document: capture.document, crop: capture.crop, selection: capture.selection } },
        image: capture.image,
        mask: capture.mask,
      });
      jobId = created.id;
      this.#set({ job: { phase: 'running', jobId, state: 'queued', position: created.position, engine: null, progress: null, previewUrl: null, cancelling: false } });
    } catch (error) {
      return this.#serviceFailure(error);
    }
    const { image: _image, mask: _mask, ...target } = capture;
    this.#capture = target;
    await this.#follow(client, jobId, settings.prompt, generation);
  }

  /** Stops the running job on the service; the poll loop sees it end. */
  async cancel(): Promise<void> {
    const job = this.#state.job;
    if (job.phase !== 'running' || job.cancelling) return;
    this.#set({ job: { ...job, cancelling: true } });
    try {
      await (this.#jobClient ?? this.#client).cancel(job.jobId);
    } catch (error) {
      // The job may have finished meanwhile (409/404): the poll loop reports how it ended.
      if (error instanceof ServiceError && (error.code === 'conflict' || error.code === 'not_found')) return;
      this.#generation++;
      this.#releaseUrls(this.#state.job);
      this.#serviceFailure(error);
    }
  }

  async #follow(client: ServiceClient, jobId: string, prompt: string, generation: number): Promise<void> {
    let previewRevision = 0;
    for (;;) {
      let snapshot: JobSnapshot;
      try {
        snapshot = await client.job(jobId);
      } catch (error) {
        if (generation !== this.#generation) return;
        this.#releaseUrls(this.#state.job);
        return this.#serviceFailure(error);
      }
      if (generation !== this.#generation) return;
      const job = this.#state.job;
      if (job.phase !== 'running') return;
      if (TERMINAL_STATES.includes(snapshot.state)) return this.#finish(client, snapshot, prompt, generation);

      let previewUrl = job.previewUrl;
      if (snapshot.previewRevision > previewRevision) {
        previewRevision = snapshot.previewRevision;
        const preview = await client.preview(jobId).catch(() => null);
        if (generation !== this.#generation) return;
        if (preview) {
          if (previewUrl) this.#host.releaseImageUrl(previewUrl);
          previewUrl = this.#host.imageUrl(preview.bytes, preview.mimeType);
        }
      }
      const current = this.#state.job;
      if (current.phase !== 'running') return;
      this.#set({ job: { ...current, state: snapshot.state, position: snapshot.position, engine: snapshot.engine, progress: snapshot.progress, previewUrl } });
      await this.#pollDelay();
      if (generation !== this.#generation) return;
    }
  }

  async #finish(client: ServiceClient, snapshot: JobSnapshot, prompt: string, generation: number): Promise<void> {
    this.#releaseUrls(this.#state.job);
    if (snapshot.state === 'cancelled') {
      this.#capture = null;
      this.#set({ job: { phase: 'idle' }, message: { kind: 'info', text: 'Generation cancelled. The document was not changed.' } });
      return;
    }
    if (snapshot.state === 'failed') {
      this.#capture = null;
      const text = snapshot.error ? `The genfill service could not fill the selection: ${snapshot.error.message}` : 'The genfill service could not fill the selection.';
      this.#set({ job: { phase: 'idle' }, message: { kind: 'error', text } });
      return;
    }
    // The results show (and Cancel goes) at once: a Cancel that reached the service now would delete the finished
    // job with its results. Thumbnails fill in as they arrive; a result can be inserted before its thumbnail shows.
    const results: ResultView[] = snapshot.results.map((info) => ({ index: info.index, seed: info.seed, thumbnailUrl: null, inserted: false }));
    this.#set({ job: { phase: 'done', jobId: snapshot.id, prompt, engine: snapshot.engine, results, warnings: snapshot.warnings, inserting: null } });
    for (const info of snapshot.results) {
      const image = await client.resultImage(snapshot.id, info.index).catch(() => null);
      const job = this.#state.job;
      // A new Generate or dispose released this job's URLs; make no more.
      if (generation !== this.#generation || job.phase !== 'done' || job.jobId !== snapshot.id) return;
      if (!image) continue;
      const thumbnailUrl = this.#host.imageUrl(image.bytes, image.mimeType);
      this.#set({ job: { ...job, results: job.results.map((r) => (r.index === info.index ? { ...r, thumbnailUrl } : r)) } });
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Insert

  /** Inserts one variation as a new masked layer (one undo step). */
  async insert(index: number): Promise<boolean> {
    const job = this.#state.job;
    const capture = this.#capture;
    const client = this.#jobClient;
    if (job.phase !== 'done' || job.inserting !== null || !capture || !client) return false;
    const result = job.results.find((r) => r.index === index);
    if (!result) return false;
    this.#set({ job: { ...job, inserting: index }, message: null });
    let ok = false;
    let message: Message | null = null;
    try {
      const image = await client.result(job.jobId, index);
      await this.#host.insert({ capture, image, layerName: layerName(job.prompt, result.seed) });
      ok = true;
    } catch (error) {
      message = {
        kind: 'error',
        text: error instanceof HostRefusal ? error.message : error instanceof ServiceError ? serviceMessage(error, client.url) : `The result could not be inserted: ${errorText(error)}`,
      };
    }
    const current = this.#state.job;
    if (current.phase === 'done' && current.jobId === job.jobId) {
      const results = current.results.map((r) => (r.index === index && ok ? { ...r, inserted: true } : r));
      this.#set({ job: { ...current, results, inserting: null }, message });
    } else if (message) {
      this.#set({ message });
    }
    return ok;
  }

  /** Inserts every variation, each as its own layer and undo step; stops at the first refusal. */
  async insertAll(): Promise<void> {
    const job = this.#state.job;
    if (job.phase !== 'done') return;
    for (const { index } of job.results) {
      if (!(await this.insert(index))) return;
    }
  }

  // -------------------------------------------------------------------------------------------------------------

  #refreshDocument(): void {
    if (!this.#disposed) this.#set({ document: this.#host.activeDocument() });
  }

  #serviceFailure(error: unknown): void {
    const url = this.#client.url;
    if (error instanceof ServiceError && error.code === 'unreachable' && !this.#disposed) {
      this.#set({ connection: { status: 'unreachable', url, message: serviceMessage(error, url) } });
      this.#clearRetry();
      this.#retryTimer = setTimeout(() => void this.connect(), this.#retryMs);
    }
    this.#fail(serviceMessage(error, url));
  }

  #fail(text: string): void {
    this.#capture = null;
    this.#set({ job: { phase: 'idle' }, message: { kind: 'error', text } });
  }

  #releaseUrls(job: JobView): void {
    if (job.phase === 'running' && job.previewUrl) this.#host.releaseImageUrl(job.previewUrl);
    if (job.phase === 'done') for (const r of job.results) if (r.thumbnailUrl) this.#host.releaseImageUrl(r.thumbnailUrl);
  }

  #pollDelay(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.#pollWait?.timer === timer) this.#pollWait = null;
        resolve();
      }, this.#pollMs);
      this.#pollWait = { timer, resolve };
    });
  }

  #clearRetry(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #set(patch: Partial<PanelState>): void {
    this.#state = { ...this.#state, ...patch };
    for (const listener of this.#listeners) listener();
  }
}

/** An error's own message ("Error: …" means nothing to a Photoshop user). */
function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
