/**
 * Reading the `POST /v1/jobs` multipart body as it streams in (busboy): parts `params` (JSON, as a field or a file
 * part), `image` and `mask`. Every part has its own byte limit, and the body one in all, counted on the bytes as
 * they arrive — chunked or not — so a part over its limit is refused (413) the moment it crosses it, with nothing
 * buffered past it. `params` is parsed as soon as it is complete: a bad one ends the upload at once, and a raw part
 * it declares ends in one buffer of exactly its size (no concatenation; the worker can take it).
 *
 * What is copied on this (the HTTP) thread: each chunk once, from the socket's buffer into its part's, 64 KiB at a
 * time as it arrives; and, once per part larger than 4 MiB, the first 4 MiB. A part reserves only that much before
 * its bytes come (a client that declares 129 MB and stalls holds 4 MiB a part), then grows straight to its declared
 * raw size or what is left of the Content-Length (capped at the part's limit) and no further; it ends as a view on
 * the front of that buffer, and the buffer moves to a worker whole, its unused tail never written
 * (worker/owned-buffers.ts). Node 20 has no `ArrayBuffer.prototype.transfer(length)` to trim it in place, and a
 * trimming copy would hold this thread ~30 ms per 64 MB. Only a chunked body (no Content-Length) grows its parts by
 * doubling, copying what has arrived at each step (less than the part's size in all).
 */
import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import busboy from 'busboy';
import { clip, GenfillError } from '../../core/errors';
import { INPUT_LIMITS } from '../../core/params';
import { declaredRawBytes, type UploadedPart } from '../jobs/inputs';
import { parseParamsJson, resolveParams, type ResolvedParams } from '../jobs/params';
import { sniffImageFormat } from '../imaging/sniff';
import { markOwnedByPart } from '../worker/owned-buffers';

type Role = 'params' | 'image' | 'mask';
const ROLES: readonly Role[] = ['params', 'image', 'mask'];

/** Largest image or mask part: raw RGBA at the pixel limit, plus room for an encoded file's overhead. */
const PIXEL_PART_BYTES = INPUT_LIMITS.maxPixels * 4 + 2 ** 20;

export interface UploadLimits {
  /** Per part, in bytes. */
  part: Record<Role, number>;
  body: number;
}

export const UPLOAD_LIMITS: UploadLimits = {
  part: { params: INPUT_LIMITS.maxParamsBytes, image: PIXEL_PART_BYTES, mask: PIXEL_PART_BYTES },
  body: INPUT_LIMITS.maxBodyBytes,
};

/** Bytes a field part (no filename) may run past the params limit before we notice between two chunks. */
const FIELD_SLACK_BYTES = 256 * 1024;
/** Without a Content-Length, growable parts (encoded images, or raw parts before `params`) start here and double. */
const INITIAL_PART_CAPACITY = 256 * 1024;
/** The most a part reserves before its bytes arrive (see PartBuffer). */
const PRESIZE_CAP = 4 * 2 ** 20;
/** After refusing an upload mid-body, how long the rest is read and dropped so the client can read the answer. */
const DRAIN_MS = 2000;

export interface JobUpload {
  params: ResolvedParams;
  image: UploadedPart;
  mask: UploadedPart;
}

/** The client closed the connection before its upload was complete: nobody is left to answer. */
export class UploadAbandonedError extends Error {
  constructor() {
    super('the client closed the connection during the upload');
    this.name = 'UploadAbandonedError';
  }
}

/**
 * One part's bytes, in a buffer allocated once when the size (or a bound on it) is known and doubling otherwise. The
 * buffer holds this part only, so it may move to a worker whole.
 */
class PartBuffer {
  #data: Uint8Array;
  #length = 0;
  readonly #limit: number;
  #expected: number | undefined;

  /**
   * `expected`: the part's size or a bound on it (a raw size params declared, or the rest of the Content-Length).
   * Only PRESIZE_CAP of it is reserved before the bytes come, so a client that declares much and stalls holds
   * little; past that the buffer grows straight to `expected` (one copy of at most PRESIZE_CAP), then doubles.
   */
  constructor(expected: number | undefined, limit: number) {
    this.#limit = limit;
    this.#expected = expected === undefined ? undefined : Math.min(expected, limit);
    this.#data = markOwnedByPart(allocate(Math.min(this.#expected ?? INITIAL_PART_CAPACITY, PRESIZE_CAP, limit)));
  }

  /** False (and nothing kept) when the chunk would take the part past its limit. */
  append(chunk: Uint8Array): boolean {
    const needed = this.#length + chunk.length;
    if (needed > this.#limit) return false;
    if (needed > this.#data.length) {
      const target = Math.max(needed, this.#expected ?? this.#data.length * 2);
      this.#expected = undefined;
      const grown = markOwnedByPart(allocate(Math.min(this.#limit, target)));
      grown.set(this.#data.subarray(0, this.#length));
      this.#data = grown;
    }
    this.#data.set(chunk, this.#length);
    this.#length = needed;
    return true;
  }

  get bytes(): Uint8Array {
    return this.#length === this.#data.length ? this.#data : this.#data.subarray(0, this.#length);
  }
}

/**
 * A part buffer; when memory is short, a 413 for this upload instead of an exception that would stop the service.
 * Not zeroed (zeroing 64 MB would hold this thread ~20 ms): the part's view covers only bytes written from the body,
 * and the tail past it is never read. Its own ArrayBuffer (not Node's pool), so it can move to a worker.
 */
function allocate(bytes: number): Uint8Array {
  try {
    const buffer = Buffer.allocUnsafeSlow(bytes);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch {
    throw new GenfillError('payload_too_large', `the service cannot hold ${bytes} more bytes for this upload right now; send it again later`);
  }
}

function tooLarge(what: string, limit: number): GenfillError {
  return new GenfillError('payload_too_large', `${what} exceeds ${limit} bytes`);
}

/**
 * Checks the envelope before anything is read: a multipart type, and a declared length within the limit. Returns the
 * declared length, or undefined for a chunked body.
 */
function checkEnvelope(req: IncomingMessage, limits: UploadLimits): number | undefined {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw new GenfillError(
      'unsupported_format',
      `expected a multipart/form-data body with parts params, image and mask (got ${type ? clip(type, 80) : 'no content type'})`,
    );
  }
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const declared = Number(header);
  if (declared > limits.body) throw new GenfillError('payload_too_large', `the body is ${declared} bytes; the limit is ${limits.body}`);
  return Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
}

/** Reads and checks the whole upload; rejects with GenfillError (4xx) or UploadAbandonedError. */
export function readJobUpload(req: IncomingMessage, limits: UploadLimits = UPLOAD_LIMITS): Promise<JobUpload> {
  const declaredLength = checkEnvelope(req, limits);
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      limits: {
        fieldNameSize: 100,
        fieldSize: limits.part.params,
        fields: 1,
        // One byte more than the largest part may have: busboy would cut a file there without a word, so the byte
        // that crosses a limit must reach our own check (PartBuffer.append), which answers 413.
        fileSize: Math.max(...Object.values(limits.part)) + 1,
        files: 3,
        parts: 4, // reaching it (a fourth part) is an error below
        headerPairs: 20,
      },
    });
  } catch (error) {
    throw new GenfillError('bad_request', `malformed multipart header: ${clip((error as Error).message, 120)}`);
  }

  return new Promise<JobUpload>((resolve, reject) => {
    const parts = new Map<Role, UploadedPart | null>();
    let params: ResolvedParams | null = null;
    let bodyBytes = 0;
    // Body bytes before the chunk the parser is reading: a part that starts in it has at most the rest of the body.
    let bodyBytesBeforeChunk = 0;
    // Bytes since the last part started that no file part took: a field's value (busboy reports those only at their end).
    let fieldBytes = 0;
    let settled = false;

    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('close', onClose);
      if (!error) {
        const image = parts.get('image');
        const mask = parts.get('mask');
        if (!params) return reject(new GenfillError('invalid_params', 'params: the part is missing (JSON job parameters)', 'params'));
        if (!image) return reject(new GenfillError('bad_request', 'image: the part is missing', 'image'));
        if (!mask) return reject(new GenfillError('bad_request', 'mask: the part is missing', 'mask'));
        return resolve({ params, image, mask });
      }
      // The parser is fed no more and dropped (destroying it would error the part it is in the middle of).
      parser.removeAllListeners();
      parser.on('error', () => {});
      reject(error);
    };

    const roleOf = (name: string | undefined): Role => {
      const role = ROLES.find((r) => r === name);
      if (!role) throw new GenfillError('bad_request', `unexpected part ${name === undefined ? 'without a name' : JSON.stringify(clip(name, 40))}; the parts are params, image and mask`);
      if (parts.has(role)) throw new GenfillError('bad_request', `the part "${role}" was sent twice`, role);
      return role;
    };

    const acceptParams = (text: string) => {
      params = resolveParams(parseParamsJson(text));
      for (const role of ['image', 'mask'] as const) {
        const info = params[role];
        if (info) declaredRawBytes(role, info); // throws 413 before a byte of that part is read
      }
    };

    const guard = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        finish(error as Error);
      }
    };

    parser.on('file', (name, stream, info) => {
      stream.on('error', () => {});
      guard(() => {
        fieldBytes = 0;
        const role = roleOf(name);
        parts.set(role, null);
        const limit = limits.part[role];
        const growable = declaredLength === undefined ? undefined : Math.max(0, declaredLength - bodyBytesBeforeChunk);
        let buffer: PartBuffer | null = null;
        stream.on('data', (chunk: Buffer) =>
          guard(() => {
            if (settled) return;
            fieldBytes -= chunk.length;
            if (!buffer) {
              // A raw part that params declared is headed for exactly its size; anything else for the rest of the body.
              const declared = role === 'params' ? undefined : params?.[role];
              const raw = declared && !info.mimeType.startsWith('image/') && (info.mimeType === 'application/octet-stream' || !sniffImageFormat(chunk));
              buffer = new PartBuffer(raw ? declared.width * declared.height * declared.channels : growable, limit);
            }
            if (!buffer.append(chunk)) finish(tooLarge(`the ${role} part`, limit));
          }),
        );
        stream.on('end', () =>
          guard(() => {
            if (settled) return;
            const bytes = buffer?.bytes ?? new Uint8Array(0);
            if (role === 'params') acceptParams(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
            else parts.set(role, { bytes, contentType: info.mimeType });
          }),
        );
      });
    });

    parser.on('field', (name, value, info) =>
      guard(() => {
        fieldBytes = 0;
        const role = roleOf(name);
        if (role !== 'params') throw new GenfillError('bad_request', `${role}: send it as a file part (with a filename) or as application/octet-stream`, role);
        if (info.valueTruncated) throw tooLarge('the params part', limits.part.params);
        parts.set(role, null);
        acceptParams(value);
      }),
    );

    parser.on('partsLimit', () => finish(new GenfillError('bad_request', 'too many parts; send params, image and mask')));
    parser.on('filesLimit', () => finish(new GenfillError('bad_request', 'too many file parts; send params, image and mask')));
    parser.on('fieldsLimit', () => finish(new GenfillError('bad_request', 'too many fields; only params may be a field')));
    parser.on('error', (error: Error) => finish(new GenfillError('bad_request', `malformed multipart body: ${clip(error.message, 120)}`)));
    parser.on('close', () => finish(null));

    const onData = (chunk: Buffer) => {
      bodyBytesBeforeChunk = bodyBytes;
      bodyBytes += chunk.length;
      fieldBytes += chunk.length;
      if (bodyBytes > limits.body) return finish(tooLarge('the body', limits.body));
      if (!parser.write(chunk)) {
        req.pause();
        parser.once('drain', () => req.resume());
      }
      if (!settled && fieldBytes > limits.part.params + FIELD_SLACK_BYTES) finish(tooLarge('a part without a filename (only params may be one)', limits.part.params));
    };
    const onClose = () => {
      if (!req.complete) finish(new UploadAbandonedError());
    };
    req.on('data', onData);
    req.on('end', () => parser.end());
    req.on('close', onClose);
  });
}

/**
 * After a refused upload whose body was not read to its end: the answer says `Connection: close`, and once it is
 * sent the rest of the body is read and dropped for a moment (closing a socket with unread data would reset it, and
 * the client might lose the answer), then the connection is closed.
 */
export function closeAfterAnswer(req: Request, res: Response): void {
  if (req.complete) return;
  res.set('Connection', 'close');
  res.on('finish', () => {
    const socket = req.socket;
    req.resume();
    socket.end();
    setTimeout(() => socket.destroy(), DRAIN_MS).unref();
  });
}
