/** The express application: guards, the v1 routes, JSON errors for everything else. */
import express, { type Express } from 'express';
import { ROUTES } from '../../core/protocol';
import { decodeEncodedPart, type EncodedPartDecoder } from '../jobs/inputs';
import type { JobQueue } from '../jobs/queue';
import { DEFAULT_ENCODINGS, ResultEncodings, type DisplayEncoder } from '../jobs/result-encodings';
import type { Logger } from '../log';
import type { EngineRunner } from '../worker/engine-host';
import { errorHandler, methodNotAllowed, notFound } from './errors';
import { DEFAULT_EVENT_STREAM, type EventStreamOptions } from './events';
import { authGuard, corsHeaders, hostGuard, isAuthorized, originGuard } from './guards';
import { buildHealth } from './health';
import { jobRoutes } from './jobs-routes';
import { UPLOAD_LIMITS, type UploadLimits } from './upload';

export interface AppDeps {
  queue: JobQueue;
  runner: EngineRunner;
  log: Logger;
  version: string;
  bindHost: string;
  allowedHosts: readonly string[];
  /** Origins allowed besides none and the service's own; the CORS origins are allowed as well. */
  allowedOrigins?: readonly string[];
  corsOrigins: readonly string[];
  token: string | null;
  events?: EventStreamOptions;
  /** The PNG/JPEG encoder for results (tests count its calls); libvips by default. */
  encode?: DisplayEncoder;
  /** Byte limits of an upload; the input limits by default (tests use small ones). */
  uploadLimits?: UploadLimits;
  /** Decodes PNG/JPEG/WebP parts: the decode worker in the service (main.ts); in this thread by default (tests). */
  decodeEncodedPart?: EncodedPartDecoder;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(hostGuard({ bindHost: deps.bindHost, allowedHosts: deps.allowedHosts }));
  app.use(originGuard([...(deps.allowedOrigins ?? []), ...deps.corsOrigins]));
  app.use(corsHeaders(deps.corsOrigins));
  app.use(authGuard(deps.token));

  const encodings = new ResultEncodings({ ...DEFAULT_ENCODINGS, encode: deps.encode, onHeldBytes: (job, delta) => deps.queue.holdBytes(job, delta) });
  app
    .route(ROUTES.health)
    .get((req, res) => {
      const health = buildHealth(deps.runner, deps.queue, { version: deps.version, authRequired: deps.token !== null });
      // Without the token, health shows no job id (ids are what the other routes need); the counts stay.
      if (!isAuthorized(req, deps.token)) health.queue.running = null;
      res.json(health);
    })
    .all(methodNotAllowed(['GET']));
  app.use(
    jobRoutes({
      queue: deps.queue,
      runner: deps.runner,
      events: deps.events ?? DEFAULT_EVENT_STREAM,
      encodings,
      log: deps.log,
      uploadLimits: deps.uploadLimits ?? UPLOAD_LIMITS,
      decodeEncodedPart: deps.decodeEncodedPart ?? decodeEncodedPart,
    }),
  );

  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
