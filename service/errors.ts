/**
 * The service's own error types, below every folder that throws them (engines, pipeline, runtime, worker, jobs).
 */
import type { EngineImage } from './engine-io';

/**
 * Thrown by an engine when `isCancelled()` turned true; the queue maps it to the `cancelled` state. `finished` holds
 * the variations completed before the cancel, which the job keeps.
 */
export class CancelledError extends Error {
  readonly finished: EngineImage[];

  constructor(finished: readonly EngineImage[] = []) {
    super('cancelled');
    this.name = 'CancelledError';
    this.finished = [...finished];
  }
}

/** Thrown by an engine for a failure whose message is meant for the user (bad model, NaN output, …). */
export class EngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
  }
}
