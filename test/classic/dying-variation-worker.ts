/**
 * A stand-in variation thread for the pool's failure tests: its "fill" is the seed as one byte. Seed 1 works until
 * the job is cancelled, then answers "cancelled" like a real thread; seed 2 answers at once and then the thread
 * exits with code 3, as a thread killed after its last variation would; any other seed answers at once.
 */
import { parentPort } from 'node:worker_threads';
import type { FillRequest } from '../../service/engines/classic/variation-messages';

const port = parentPort!;
port.on('message', (request: FillRequest) => {
  const { variation, seed } = request;
  if (seed === 1) {
    const cancelled = new Int32Array(request.cancel);
    const poll = setInterval(() => {
      if (Atomics.load(cancelled, 0) === 0) return;
      clearInterval(poll);
      port.postMessage({ type: 'failed', variation, cancelled: true, message: 'cancelled' });
    }, 5);
    return;
  }
  port.postMessage({ type: 'done', variation, rgb: Uint8Array.of(seed), warnings: [] });
  if (seed === 2) setTimeout(() => process.exit(3), 20);
});
