/**
 * The decode worker thread: turns encoded image and mask parts (PNG, JPEG, WebP) into pixels for the HTTP thread,
 * with the same checks and errors as decoding in place (jobs/inputs.ts). libvips decodes on its own threads, but
 * sharp's output is native memory that cannot move between threads (Node clones it, on each side); so it is
 * copied once here, into a buffer JavaScript owns, which moves to the HTTP thread and on to the engine worker whole.
 */
import { parentPort } from 'node:worker_threads';
import { GenfillError } from '../../core/errors';
import { movableCopy } from '../imaging/pixels';
import { decodeEncodedPart } from '../jobs/inputs';
import type { DecodeReply, DecodeRequest } from './decode-messages';
import { lowerThisThreadsPriority } from './thread-priority';

if (!parentPort) throw new Error('decode-worker.ts must run in a worker thread');
const port = parentPort;
lowerThisThreadsPriority();

/** The reply to `request` and the buffers that move with it. */
async function decoded(request: DecodeRequest): Promise<[DecodeReply, ArrayBuffer[]]> {
  try {
    const pixels = await decodeEncodedPart(request.role, { bytes: request.bytes, contentType: request.contentType });
    const owned = movableCopy(pixels.data);
    return [{ id: request.id, pixels: { ...pixels, data: owned } }, [owned.buffer]];
  } catch (error) {
    const info = error instanceof GenfillError ? error.toInfo() : { code: 'internal' as const, message: `decoding the ${request.role} failed: ${(error as Error).message}` };
    return [{ id: request.id, error: info }, []];
  }
}

// A request that cannot be read has no id to answer: ending the thread fails every pending decode (the host says so).
port.on('messageerror', () => process.exit(70));

port.on('message', async (request: DecodeRequest) => {
  const [reply, transfer] = await decoded(request);
  port.postMessage(reply, transfer);
});
