/**
 * One Generate at a time: capture (planned by core/capture-plan with the user's settings) → upload → poll →
 * results with warnings → insert. Depends only on the Host and the connection's ServiceClient.
 */
import { planCapture } from '../../core/capture-plan';
import { adjustMask } from '../../core/mask-adjust';
import { TERMINAL_STATES } from '../../core/protocol';
import type { JobSnapshot } from '../../core/protocol';
import { ServiceError } from '../client/service-client';
import type { ServiceClient } from '../client/service-client';
import { HostRefusal } from '../host/host';
import type { Capture, Host, InsertTarget } from '../host/host';
import type { ServiceConnection } from './connection';
import { serviceMessage, warningText } from './messages';
import { errorText } from './panel-state';
import type { JobView, Message, ResultView, StateCell } from './panel-state';
import { captureSettings, jobParams, layerName, settingsProblems } from './settings';

export class JobSession {
  readonly #cell: StateCell;
  readonly #host: Host;
  readonly #connection: ServiceConnection;
  readonly #pollMs: number;
  /**
   * What the results on screen are inserted with (the capture without the sent pixels, which need not stay in memory)
   * and the service that holds them.
   */
  #capture: InsertTarget | null = null;
  #jobClient: ServiceClient | null = null;
  /** Bumped by every new job and by dispose, so that stale loops stop. */
  #generation = 0;
  /** The poll loop's pending wait, ended early by dispose. */
  #pollWait: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | null = null;

  constructor(cell: StateCell, host: Host, connection: ServiceConnection, pollMs: number) {
    this.#cell = cell;
    this.#host = host;
    this.#connection = connection;
    this.#pollMs = pollMs;
  }

  /** Closing the panel mid-job cancels that job on the service: nobody is left to insert its results. */
  dispose(): void {
    const job = this.#cell.get().job;
    if (job.phase === 'running' && !job.cancelling) void (this.#jobClient ?? this.#connection.client).cancel(job.jobId).catch(() => undefined);
    this.#generation++;
    if (this.#pollWait) {
      clearTimeout(this.#pollWait.timer);
      this.#pollWait.resolve();
    }
    this.#releaseUrls(job);
  }

  async generate(): Promise<void> {
    const { job, settings } = this.#cell.get();
    if (job.phase === 'reading' || job.phase === 'submitting' || job.phase === 'running') return;
    const problems = settingsProblems(settings);
    // Refusals before anything is read leave the results on screen insertable.
    if (problems.length > 0) return this.#cell.set({ message: { kind: 'error', text: problems.join(' ') } });
    if (this.#cell.get().connection.status !== 'connected') await this.#connection.connect();
    const connection = this.#cell.get().connection;
    if (connection.status !== 'connected') {
      const text = connection.status === 'connecting' ? 'Still connecting to the genfill service.' : connection.message;
      return this.#cell.set({ message: { kind: 'error', text } });
    }

    const generation = ++this.#generation;
    this.#releaseUrls(this.#cell.get().job);
    this.#capture = null;
    this.#cell.set({ job: { phase: 'reading' }, message: null });
    let capture: Capture;
    try {
      const context = captureSettings(settings);
      const read = await this.#host.capture(settings.source, (document, selection) => planCapture(document, selection, context));
      const { mask, plan } = read;
      // The mask the service fills by and the layer mask are the same: the selection grown and feathered as planned.
      capture = { ...read, mask: { ...mask, data: adjustMask(mask.data, mask.width, mask.height, plan.mask) } };
    } catch (error) {
      return this.#fail(error instanceof HostRefusal ? error.message : `Photoshop could not read the selection: ${errorText(error)}`);
    }
    if (generation !== this.#generation) return;

    this.#cell.set({ job: { phase: 'submitting' } });
    const client = this.#connection.client;
    this.#jobClient = client;
    const { plan } = capture;
    let jobId: string;
    try {
      const created = await client.createJob({
        params: {
          ...jobParams(settings),
          placement: {
            document: plan.document,
            crop: plan.crop,
            selection: plan.maskBounds,
            ...(plan.contextPadding === null ? {} : { contextPadding: plan.contextPadding }),
          },
        },
        image: capture.image,
        mask: capture.mask,
      });
      jobId = created.id;
      if (generation !== this.#generation) {
        // The panel closed while the upload was in flight: nobody is left to insert this job's results.
        void client.cancel(jobId).catch(() => undefined);
        return;
      }
      this.#cell.set({ job: { phase: 'running', jobId, state: 'queued', position: created.position, engine: null, progress: null, previewUrl: null, cancelling: false } });
    } catch (error) {
      return this.#serviceFailure(error);
    }
    const { image: _image, ...target } = capture;
    this.#capture = target;
    await this.#follow(client, jobId, settings.prompt, generation);
  }

  /** Stops the running job on the service; the poll loop sees it end. */
  async cancel(): Promise<void> {
    const job = this.#cell.get().job;
    if (job.phase !== 'running' || job.cancelling) return;
    this.#cell.set({ job: { ...job, cancelling: true } });
    try {
      await (this.#jobClient ?? this.#connection.client).cancel(job.jobId);
    } catch (error) {
      // The job may have finished meanwhile (409/404): the poll loop reports how it ended.
      if (error instanceof ServiceError && (error.code === 'conflict' || error.code === 'not_found')) return;
      this.#generation++;
      this.#releaseUrls(this.#cell.get().job);
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
        this.#releaseUrls(this.#cell.get().job);
        return this.#serviceFailure(error);
      }
      if (generation !== this.#generation) return;
      const job = this.#cell.get().job;
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
      const current = this.#cell.get().job;
      if (current.phase !== 'running') return;
      this.#cell.set({ job: { ...current, state: snapshot.state, position: snapshot.position, engine: snapshot.engine, progress: snapshot.progress, previewUrl } });
      await this.#pollDelay();
      if (generation !== this.#generation) return;
    }
  }

  async #finish(client: ServiceClient, snapshot: JobSnapshot, prompt: string, generation: number): Promise<void> {
    this.#releaseUrls(this.#cell.get().job);
    const cancelled = snapshot.state === 'cancelled';
    if (cancelled && snapshot.results.length === 0) {
      this.#capture = null;
      this.#cell.set({ job: { phase: 'idle' }, message: { kind: 'info', text: 'Generation cancelled. The document was not changed.' } });
      return;
    }
    if (snapshot.state === 'failed') {
      this.#capture = null;
      const text = snapshot.error ? `The genfill service could not fill the selection: ${snapshot.error.message}` : 'The genfill service could not fill the selection.';
      this.#cell.set({ job: { phase: 'idle' }, message: { kind: 'error', text } });
      return;
    }
    // The results show (and Cancel goes) at once: a Cancel that reached the service now would delete the finished
    // job with its results. Thumbnails fill in as they arrive; a result can be inserted before its thumbnail shows.
    // A cancelled job keeps the variations that had finished.
    const results: ResultView[] = snapshot.results.map((info) => ({ index: info.index, seed: info.seed, thumbnailUrl: null, inserted: false }));
    const n = results.length;
    const message: Message | null = cancelled ? { kind: 'info', text: `Generation cancelled; ${n} variation${n === 1 ? ' had' : 's had'} finished and can be inserted.` } : null;
    this.#cell.set({ job: { phase: 'done', jobId: snapshot.id, prompt, engine: snapshot.engine, results, warnings: snapshot.warnings.map(warningText), inserting: null }, message });
    for (const info of snapshot.results) {
      const image = await client.resultImage(snapshot.id, info.index).catch(() => null);
      const job = this.#cell.get().job;
      // A new Generate or dispose released this job's URLs; make no more.
      if (generation !== this.#generation || job.phase !== 'done' || job.jobId !== snapshot.id) return;
      if (!image) continue;
      const thumbnailUrl = this.#host.imageUrl(image.bytes, image.mimeType);
      this.#cell.set({ job: { ...job, results: job.results.map((r) => (r.index === info.index ? { ...r, thumbnailUrl } : r)) } });
    }
  }

  /** Inserts one variation as a new masked layer (one undo step). */
  async insert(index: number): Promise<boolean> {
    const job = this.#cell.get().job;
    const capture = this.#capture;
    const client = this.#jobClient;
    if (job.phase !== 'done' || job.inserting !== null || !capture || !client) return false;
    const result = job.results.find((r) => r.index === index);
    if (!result) return false;
    this.#cell.set({ job: { ...job, inserting: index }, message: null });
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
    const current = this.#cell.get().job;
    if (current.phase === 'done' && current.jobId === job.jobId) {
      const results = current.results.map((r) => (r.index === index && ok ? { ...r, inserted: true } : r));
      this.#cell.set({ job: { ...current, results, inserting: null }, message });
    } else if (message) {
      this.#cell.set({ message });
    }
    return ok;
  }

  /** Inserts every variation, each as its own layer and undo step; stops at the first refusal. */
  async insertAll(): Promise<void> {
    const job = this.#cell.get().job;
    if (job.phase !== 'done') return;
    for (const { index } of job.results) {
      if (!(await this.insert(index))) return;
    }
  }

  #serviceFailure(error: unknown): void {
    this.#connection.reportFailure(error);
    this.#fail(serviceMessage(error, this.#connection.client.url));
  }

  #fail(text: string): void {
    this.#capture = null;
    this.#cell.set({ job: { phase: 'idle' }, message: { kind: 'error', text } });
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
}
