/**
 * `GET /v1/jobs/:id/events`: server-sent events. `snapshot` events (coalesced to a few per second), `preview`
 * events, heartbeat comments; the stream ends after the terminal snapshot. A client going away only unsubscribes —
 * the job carries on and its results stay.
 */
import type { Response } from 'express';
import type { JobEvent } from '../../core/protocol';
import type { Job } from '../jobs/job';
import type { JobQueue } from '../jobs/queue';

export interface EventStreamOptions {
  /** Minimum time between two snapshot events (the latest wins). */
  snapshotIntervalMs: number;
  heartbeatMs: number;
}

export const DEFAULT_EVENT_STREAM: EventStreamOptions = { snapshotIntervalMs: 100, heartbeatMs: 15_000 };

function writeEvent(res: Response, event: JobEvent): void {
  const data = event.type === 'snapshot' ? event.job : { revision: event.revision, width: event.width, height: event.height };
  res.write(`event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`);
}

export function streamJobEvents(res: Response, queue: JobQueue, job: Job, options: EventStreamOptions): void {
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();

  const first = queue.snapshot(job);
  writeEvent(res, { type: 'snapshot', job: first });
  if (job.terminal) {
    res.end();
    return;
  }

  let pending: JobEvent | null = null;
  let lastSentAt = Date.now();
  let flushTimer: NodeJS.Timeout | null = null;
  const flush = () => {
    flushTimer = null;
    if (!pending) return;
    writeEvent(res, pending);
    pending = null;
    lastSentAt = Date.now();
  };
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), options.heartbeatMs);
  const stop = () => {
    unsubscribe();
    clearInterval(heartbeat);
    if (flushTimer) clearTimeout(flushTimer);
  };
  const unsubscribe = queue.subscribe(job, (event) => {
    if (event.type === 'preview') return writeEvent(res, event);
    pending = event;
    const terminal = event.job.state === 'succeeded' || event.job.state === 'failed' || event.job.state === 'cancelled';
    if (terminal) {
      flush();
      stop();
      res.end();
      return;
    }
    const wait = options.snapshotIntervalMs - (Date.now() - lastSentAt);
    if (wait <= 0) flush();
    else flushTimer ??= setTimeout(flush, wait);
  });
  // 'close' on the response: it fires when the client goes away (or the stream ends), never earlier.
  res.on('close', stop);
}
