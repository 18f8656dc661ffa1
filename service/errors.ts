/**
 * The service's own error types, below every folder that throws them (engines, pipeline, runtime, worker, jobs).
 */

/** Thrown by an engine when `isCancelled()` turned true; the queue maps it to the `cancelled` state. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/** Thrown by an engine for a failure whose message is meant for the user (bad model, NaN output, …). */
export class EngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
  }
}
