/**
 * Which pixel buffers may move to another thread whole. Transferring a view's buffer detaches every other view on
 * it, so only a buffer known to hold nothing else may go: one the view covers exactly (from byte 0 to the end), or
 * one allocated for a single part of a job and marked here — an upload part pre-sized from the request's
 * Content-Length is a view on the front of its buffer, the unused tail (never written, so never touched) goes along.
 * Views on Node's shared Buffer pool, or on a buffer something else still reads, are neither: they are copied.
 */
const ownedByOnePart = new WeakSet<ArrayBufferLike>();

/** Marks `bytes`' buffer as holding this part only (its owner will not read it once the part is handed on). */
export function markOwnedByPart<T extends Uint8Array>(bytes: T): T {
  ownedByOnePart.add(bytes.buffer);
  return bytes;
}

/** True when `bytes`' buffer can be transferred without detaching anything else. */
export function ownsItsBuffer(bytes: Uint8Array): boolean {
  if (!(bytes.buffer instanceof ArrayBuffer)) return false;
  return ownedByOnePart.has(bytes.buffer) || (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength);
}
