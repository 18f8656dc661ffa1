import { EngineError } from '../errors';

/**
 * A model source that cannot be used: the message names the file, the tensor or config key, and what to do. An
 * EngineError, so the sdxl engine reports it as the reason it failed to load.
 */
export class ModelSourceError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelSourceError';
  }
}
