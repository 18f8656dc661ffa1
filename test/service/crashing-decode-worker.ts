/**
 * Test-only decode worker entry: the real one (service/worker/decode-worker.ts), except that a part whose
 * Content-Type mentions "crash" ends the thread (exit code 9) once its decode has started, as a decoder crash would.
 */
import { parentPort } from 'node:worker_threads';
import type { DecodeRequest } from '../../service/worker/decode-messages';

// The real listener first: one added while it loads would take the messages that arrive meanwhile alone.
await import('../../service/worker/decode-worker');
parentPort?.on('message', (request: DecodeRequest) => {
  if (request.contentType?.includes('crash')) process.exit(9);
});
