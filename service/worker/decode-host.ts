/**
 * The HTTP thread's side of the decode worker (decode-worker.ts): encoded image and mask parts are decoded there, so
 * neither sharp's output nor a copy of it ever lives on this thread — the part's buffer moves to the worker and the
 * pixels come back in a buffer that moves on to the engine worker. The thread starts on the first encoded part; if it
 * dies, the decodes in flight fail with a 500 that says so and the next one starts a fresh thread. While idle it
 * does not keep the process alive.
 */
import type { Worker } from 'node:worker_threads';
import { GenfillError } from '../../core/errors';
import type { Pixels } from '../imaging/pixels';
import type { EncodedPartDecoder, PixelRole, UploadedPart } from '../jobs/inputs';
import type { Logger } from '../log';
import type { DecodeReply, DecodeRequest } from './decode-messages';
import { ownsItsBuffer } from './owned-buffers';
import { spawnWorker, workerEntryUrl } from './spawn';
import { transferList } from './transfer-list';
// libvips must be loaded by the main thread before a worker loads it (see engine-host.ts).
import '../imaging/codec';

const DECODE_WORKER_URL = workerEntryUrl('decode-worker', import.meta.url);

interface PendingDecode {
  role: PixelRole;
  resolve(pixels: Pixels): void;
  reject(error: Error): void;
}

export class DecodeWorkerHost {
  readonly #entry: URL;
  readonly #log: Logger;
  readonly #pending = new Map<number, PendingDecode>();
  #worker: Worker | null = null;
  #crashReason: string | null = null;
  #nextId = 1;
  #closed = false;

  /** `entry` replaces the worker's module (tests). */
  constructor(log: Logger, entry: URL = DECODE_WORKER_URL) {
    this.#entry = entry;
    this.#log = log.child({ component: 'decoder' });
  }

  /** The EncodedPartDecoder for decodeCropInputs; `part.bytes` move to the worker (the caller must not reuse them). */
  readonly decode: EncodedPartDecoder = (role, part) => this.#decode(role, part);

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = null;
    this.#failPending('the service is shutting down');
    await worker?.terminate();
  }

  #decode(role: PixelRole, part: UploadedPart): Promise<Pixels> {
    if (this.#closed) return Promise.reject(new GenfillError('internal', 'the image decoder is closed: the service is shutting down'));
    const worker = this.#thread();
    const id = this.#nextId++;
    return new Promise<Pixels>((resolve, reject) => {
      this.#pending.set(id, { role, resolve, reject });
      worker.ref();
      const request: DecodeRequest = { id, role, bytes: part.bytes, contentType: part.contentType };
      // Parts the upload allocated move; anything else (a view on shared memory) is copied.
      worker.postMessage(request, transferList(ownsItsBuffer(part.bytes) ? [part.bytes] : []));
    });
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = spawnWorker(this.#entry, null);
    this.#worker = worker;
    this.#crashReason = null;
    worker.unref();
    worker.on('message', (reply: DecodeReply) => this.#onReply(reply));
    worker.on('error', (error) => {
      this.#crashReason = error.message || String(error);
    });
    // A reply that cannot be read names no decode to fail: end the thread, which fails them all (never a hang).
    worker.on('messageerror', (error) => {
      this.#crashReason = `unreadable reply: ${error.message}`;
      void worker.terminate();
    });
    worker.on('exit', (code) => {
      if (worker !== this.#worker) return;
      this.#worker = null;
      const reason = this.#crashReason ?? `exit code ${code}`;
      this.#log.error('the decode worker died; the next upload starts a new one', { reason, inFlight: this.#pending.size });
      this.#failPending(`the image decoder stopped (${reason}) while decoding it; send the request again (a new decoder starts with it)`);
    });
    return worker;
  }

  #onReply(reply: DecodeReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    if ('pixels' in reply) pending.resolve(reply.pixels);
    else pending.reject(new GenfillError(reply.error.code, reply.error.message, reply.error.field));
  }

  #failPending(why: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const decode of pending) decode.reject(new GenfillError('internal', `${decode.role}: ${why}`, decode.role));
  }
}
