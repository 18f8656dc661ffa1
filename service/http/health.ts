import type { Health } from '../../core/protocol';
import { PROTOCOL_VERSION, SERVICE_NAME } from '../../core/protocol';
import { defaultEngine } from '../jobs/engine-choice';
import type { JobQueue } from '../jobs/queue';
import type { EngineRunner } from '../worker/engine-host';

export function buildHealth(runner: EngineRunner, queue: JobQueue, options: { version: string; authRequired: boolean }): Health {
  const engines = runner.engineStatuses();
  return {
    name: SERVICE_NAME,
    version: options.version,
    protocol: PROTOCOL_VERSION,
    engines,
    defaultEngine: defaultEngine(engines),
    queue: queue.status(),
    authRequired: options.authRequired,
    worker: runner.workerStatus(),
  };
}
