/**
 * The `/v1/jobs` routes: HTTP ↔ core/protocol, nothing else.
 * - POST /v1/jobs → 202 JobCreated (+ Location).
 * - GET /v1/jobs/:id → JobSnapshot; /events → SSE; /preview → JPEG or 404 before the first preview.
 * - GET /v1/jobs/:id/results/:n → PNG, or raw RGBA with ?format=raw / Accept: application/octet-stream, or JPEG with
 *   ?format=jpeg; ?maxSide=N scales PNG/JPEG down to fit (thumbnails); 409 until the job has succeeded (a cancelled
 *   job serves the variations that finished).
 * - DELETE /v1/jobs/:id → 200 + snapshot (queued job, now cancelled), 202 + snapshot (running job, cancelling
 *   before its next engine step), 204 (finished job removed with its results).
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { GenfillError } from '../../core/errors';
import { RAW_HEADERS, ROUTES, type JobCreated } from '../../core/protocol';
import { chooseEngine } from '../jobs/engine-choice';
import { decodeCropInputs } from '../jobs/inputs';
import type { Job } from '../jobs/job';
import { parseParamsJson, resolveParams } from '../jobs/params';
import type { JobQueue } from '../jobs/queue';
import { encodeForDisplay } from '../imaging/codec';
import type { EngineRunner } from '../worker/engine-host';
import { methodNotAllowed } from './errors';
import { streamJobEvents, type EventStreamOptions } from './events';
import { jobUpload, readMultipart } from './upload';

export interface JobRoutesDeps {
  queue: JobQueue;
  runner: EngineRunner;
  events: EventStreamOptions;
}

function findJob(queue: JobQueue, req: Request): Job {
  const id = String(req.params.id);
  const job = queue.get(id);
  if (!job) throw new GenfillError('not_found', `no job ${id} (unknown, deleted, or past its retention)`);
  return job;
}

const RESULT_FORMATS = ['png', 'raw', 'jpeg'] as const;
type ResultFormat = (typeof RESULT_FORMATS)[number];

function resultFormat(req: Request): ResultFormat {
  const format = req.query.format;
  if (RESULT_FORMATS.includes(format as ResultFormat)) return format as ResultFormat;
  if (format !== undefined) {
    throw new GenfillError('invalid_params', `format: must be ${RESULT_FORMATS.join(', ')} (got ${JSON.stringify(format)})`, 'format');
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
    throw new GenfillError('invalid_params', `maxSide: ${why} (got ${JSON.stringify(raw)})`, 'maxSide');
  }
  return value;
}

function refuseWhenFull(queue: JobQueue): RequestHandler {
  return (_req, _res, next) => {
    queue.assertAccepting();
    next();
  };
}

export function jobRoutes({ queue, runner, events }: JobRoutesDeps): Router {
  const router = Router();

  router
    .route(ROUTES.jobs)
    // A full queue is refused before the body is read, and again before decoding (it may have filled meanwhile).
    .post(refuseWhenFull(queue), readMultipart, async (req: Request, res: Response) => {
      queue.assertAccepting();
      const upload = jobUpload(req);
      const params = resolveParams(parseParamsJson(upload.paramsText));
      const engine = chooseEngine(params, runner.engineStatuses());
      const inputs = await decodeCropInputs(upload.image, upload.mask, params);
      const created: JobCreated = queue.submit(params, engine, inputs);
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
      if (!result) throw new GenfillError('not_found', `job ${job.id} has results 0..${job.results.length - 1}, not ${req.params.index}`);
      const format = resultFormat(req);
      const maxSide = resultMaxSide(req, format);
      const { pixels } = result;
      res.set({
        [RAW_HEADERS.width]: String(pixels.width),
        [RAW_HEADERS.height]: String(pixels.height),
        [RAW_HEADERS.channels]: String(pixels.channels),
        [RAW_HEADERS.seed]: String(result.seed),
        Vary: 'Accept',
      });
      if (format === 'raw') res.type('application/octet-stream').send(Buffer.from(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength));
      else res.type(`image/${format}`).send(await encodeForDisplay(pixels, format, maxSide));
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
