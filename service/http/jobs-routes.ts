/**
 * The `/v1/jobs` routes: HTTP ↔ core/protocol, nothing else.
 * - POST /v1/jobs → 202 JobCreated (+ Location).
 * - GET /v1/jobs/:id → JobSnapshot; /events → SSE; /preview → JPEG or 404 before the first preview.
 * - GET /v1/jobs/:id/results/:n → PNG, or raw RGBA with ?format=raw / Accept: application/octet-stream, or JPEG with
 *   ?format=jpeg; ?maxSide=N scales PNG/JPEG down to fit (thumbnails); 409 until the job has succeeded (a cancelled
 *   job serves the variations that finished). Encoded once per result and format (ResultEncodings); large bodies
 *   are written in slices as the socket drains.
 * - DELETE /v1/jobs/:id → 200 + snapshot (queued job, now cancelled), 202 + snapshot (running job, cancelling
 *   before its next engine step), 204 (finished job removed with its results).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { excerpt, GenfillError } from '../../core/errors';
import { RAW_HEADERS, ROUTES, type JobCreated } from '../../core/protocol';
import { chooseEngine } from '../jobs/engine-choice';
import { decodeCropInputs, type EncodedPartDecoder } from '../jobs/inputs';
import type { Job } from '../jobs/job';
import { checkDenoisingSteps } from '../jobs/params';
import type { JobQueue } from '../jobs/queue';
import { sdxlStrength } from '../jobs/remove';
import type { ResultEncodings } from '../jobs/result-encodings';
import type { Logger } from '../log';
import type { EngineRunner } from '../worker/engine-host';
import { methodNotAllowed } from './errors';
import { streamJobEvents, type EventStreamOptions } from './events';
import { readJobUpload, UploadAbandonedError, type UploadLimits } from './upload';

export interface JobRoutesDeps {
  queue: JobQueue;
  runner: EngineRunner;
  events: EventStreamOptions;
  encodings: ResultEncodings;
  log: Logger;
  uploadLimits: UploadLimits;
  /** Decodes PNG/JPEG/WebP parts (the decode worker, so that no pixel is decoded or copied on this thread). */
  decodeEncodedPart: EncodedPartDecoder;
}

function findJob(queue: JobQueue, req: Request): Job {
  const id = String(req.params.id);
  const job = queue.get(id);
  if (!job) throw new GenfillError('not_found', `no job ${excerpt(id)} (unknown, deleted, or past its retention)`);
  return job;
}

/** Bodies up to this size go out in one write; larger ones in slices of it, each after the socket drained. */
const WRITE_SLICE_BYTES = 1 << 20;

/** Sends `bytes` (no copy) without handing the socket tens of megabytes at once; stops if the client goes. */
function sendBytes(req: Request, res: Response, bytes: Uint8Array): void {
  res.set('Content-Length', String(bytes.byteLength));
  if (req.method === 'HEAD' || bytes.byteLength <= WRITE_SLICE_BYTES) {
    res.end(req.method === 'HEAD' ? undefined : bytes);
    return;
  }
  let offset = 0;
  const writeMore = () => {
    while (offset < bytes.byteLength && !res.destroyed) {
      const slice = bytes.subarray(offset, offset + WRITE_SLICE_BYTES);
      offset += slice.byteLength;
      if (offset >= bytes.byteLength) return void res.end(slice);
      if (!res.write(slice)) return void res.once('drain', writeMore);
    }
  };
  writeMore();
}

/** The client of this request has closed its connection (or half of it): nobody would read an answer. */
function clientGone(req: Request): boolean {
  return req.socket.destroyed || !req.socket.writable;
}

const RESULT_FORMATS = ['png', 'raw', 'jpeg'] as const;
type ResultFormat = (typeof RESULT_FORMATS)[number];

function resultFormat(req: Request): ResultFormat {
  const format = req.query.format;
  if (RESULT_FORMATS.includes(format as ResultFormat)) return format as ResultFormat;
  if (format !== undefined) {
    throw new GenfillError('invalid_params', `format: must be ${RESULT_FORMATS.join(', ')} (got ${excerpt(format)})`, 'format');
  }
  return req.accepts(['image/png', 'application/octet-stream']) === 'application/octet-stream' ? 'raw' : 'png';
}

const MAX_SIDE_RANGE = { min: 16, max: 8192 };

/** `?maxSide=N`: the longest side of an encoded result, or undefined for full size. */
function resultMaxSide(req: Request, format: ResultFormat): number | undefined {
  const raw = req.query.maxSide;
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (format === 'raw' || !Number.isInteger(value) || value < MAX_SIDE_RANGE.min || value > MAX_SIDE_RANGE.max) {
    const why = format === 'raw' ? 'applies to png and jpeg only' : `must be an integer from ${MAX_SIDE_RANGE.min} to ${MAX_SIDE_RANGE.max}`;
    throw new GenfillError('invalid_params', `maxSide: ${why} (got ${excerpt(raw)})`, 'maxSide');
  }
  return value;
}

function refuseWhenFull(queue: JobQueue): RequestHandler {
  return (_req, _res, next) => {
    queue.assertAccepting();
    next();
  };
}

export function jobRoutes({ queue, runner, events, encodings, log, uploadLimits, decodeEncodedPart }: JobRoutesDeps): Router {
  const router = Router();

  router
    .route(ROUTES.jobs)
    // A full queue is refused before the body is read, and again before queueing (it may have filled meanwhile).
    .post(refuseWhenFull(queue), async (req: Request, res: Response) => {
      let upload;
      try {
        upload = await readJobUpload(req, uploadLimits);
      } catch (error) {
        if (error instanceof UploadAbandonedError) return void log.info('upload abandoned by the client; no job created');
        throw error;
      }
      const { params } = upload;
      const engine = chooseEngine(params, runner.engineStatuses());
      if (engine === 'sdxl') checkDenoisingSteps({ steps: params.steps, strength: sdxlStrength(params, engine) });
      // Raw parts are checked here and move on to the engine worker as they are; encoded ones are decoded in the
      // decode worker. Either way this thread never copies a pixel.
      const inputs = await decodeCropInputs(upload.image, upload.mask, params, decodeEncodedPart);
      // A client that closed its connection after the upload would never learn the job's id: make none. A close that
      // is already in the kernel is read in the next poll phase (libuv stops reading after a short read), so wait
      // for one poll phase to pass: from this check phase to the next.
      await nextTurn();
      await nextTurn();
      if (clientGone(req)) return void log.info('client left before its job was created; no job created');
      queue.assertAccepting();
      const created: JobCreated = queue.submit(params, engine, inputs);
      // … and if it goes before the 202 is out, the job it cannot find is cancelled.
      res.on('close', () => {
        const job = queue.get(created.id);
        if (!res.writableFinished && job) {
          log.info('client left before the 202; cancelling its job', { job: created.id.slice(0, 8) });
          queue.cancelOrRemove(job);
        }
      });
      res.status(202).location(ROUTES.job(created.id)).json(created);
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/v1/jobs/:id')
    .get((req, res) => {
      res.json(queue.snapshot(findJob(queue, req)));
    })
    .delete((req, res) => {
      const job = findJob(queue, req);
      const outcome = queue.cancelOrRemove(job);
      if (outcome === 'removed') res.status(204).end();
      else res.status(outcome === 'cancelled' ? 200 : 202).json(queue.snapshot(job));
    })
    .all(methodNotAllowed(['GET', 'DELETE']));

  router
    .route('/v1/jobs/:id/events')
    .get((req, res) => streamJobEvents(res, queue, findJob(queue, req), events))
    .all(methodNotAllowed(['GET']));

  router
    .route('/v1/jobs/:id/results/:index')
    .get(async (req, res) => {
      const job = findJob(queue, req);
      // A cancelled job serves the variations that finished before the cancel.
      if (!job.terminal || job.results.length === 0) {
        throw new GenfillError('conflict', `job ${job.id} is ${job.state}; results exist once it has succeeded (or was cancelled after some finished)`);
      }
      const index = Number(req.params.index);
      const result = Number.isInteger(index) ? job.results[index] : undefined;
      if (!result) throw new GenfillError('not_found', `job ${job.id} has results 0..${job.results.length - 1}, not ${excerpt(req.params.index)}`);
      const format = resultFormat(req);
      const maxSide = resultMaxSide(req, format);
      const { pixels } = result;
      const body = format === 'raw' ? pixels.data : await encodings.encoded(job, index, format, maxSide);
      res.set({
        [RAW_HEADERS.width]: String(pixels.width),
        [RAW_HEADERS.height]: String(pixels.height),
        [RAW_HEADERS.channels]: String(pixels.channels),
        [RAW_HEADERS.seed]: String(result.seed),
        Vary: 'Accept',
      });
      res.type(format === 'raw' ? 'application/octet-stream' : `image/${format}`);
      sendBytes(req, res, body);
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/v1/jobs/:id/preview')
    .get((req, res) => {
      const job = findJob(queue, req);
      if (!job.preview) throw new GenfillError('not_found', `job ${job.id} has no preview yet`);
      res.set({ [RAW_HEADERS.width]: String(job.preview.width), [RAW_HEADERS.height]: String(job.preview.height), 'Cache-Control': 'no-store' });
      res.type('image/jpeg').send(job.preview.jpeg);
    })
    .all(methodNotAllowed(['GET']));

  return router;
}
