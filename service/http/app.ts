/** The express application: guards, the v1 routes, JSON errors for everything else. */
import express, { type Express } from 'express';
import { ROUTES } from '../../core/protocol';
import type { JobQueue } from '../jobs/queue';
import type { Logger } from '../log';
import type { EngineRunner } from '../worker/engine-host';
import { errorHandler, methodNotAllowed, notFound } from './errors';
import { DEFAULT_EVENT_STREAM, type EventStreamOptions } from './events';
import { authGuard, corsHeaders, hostGuard } from './guards';
import { buildHealth } from './health';
import { jobRoutes } from './jobs-routes';

export interface AppDeps {
  queue: JobQueue;
  runner: EngineRunner;
  log: Logger;
  version: string;
  bindHost: string;
  allowedHosts: readonly string[];
  corsOrigins: readonly string[];
  token: string | null;
  events?: EventStreamOptions;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(hostGuard({ bindHost: deps.bindHost, allowedHosts: deps.allowedHosts }));
  app.use(corsHeaders(deps.corsOrigins));
  app.use(authGuard(deps.token));

  app
    .route(ROUTES.health)
    .get((_req, res) => {
      res.json(buildHealth(deps.runner, deps.queue, { version: deps.version, authRequired: deps.token !== null }));
    })
    .all(methodNotAllowed(['GET']));
  app.use(jobRoutes({ queue: deps.queue, runner: deps.runner, events: deps.events ?? DEFAULT_EVENT_STREAM }));

  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
