/**
 * The transfer list for a `postMessage`: the buffers behind `views` that can move to the other thread.
 *
 * Buffers created by native code (sharp's output, for one) are marked untransferable: Node 20 silently copies them,
 * Node ≥ 21 makes `postMessage` throw a DataCloneError. Those stay out of the list (they are cloned with the message),
 * as do SharedArrayBuffers (shared, never moved) and repeats (a buffer listed twice is also a DataCloneError).
 */
import * as workerThreads from 'node:worker_threads';

// `isMarkedAsUntransferable` exists from Node 21; on Node 20 such buffers are copied, so nothing needs leaving out.
const isMarkedAsUntransferable = (workerThreads as { isMarkedAsUntransferable?: (value: object) => boolean }).isMarkedAsUntransferable;

export function transferList(views: readonly ArrayBufferView[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const view of views) {
    const buffer = view.buffer;
    if (!(buffer instanceof ArrayBuffer)) continue;
    if (isMarkedAsUntransferable?.(buffer)) continue;
    buffers.add(buffer);
  }
  return [...buffers];
}
