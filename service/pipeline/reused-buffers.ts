/**
 * Per-job buffers kept for the next job: the engine runs one job at a time, and consecutive jobs mostly share a
 * working size, so the 12 MB image planes and the graph feeds of one job serve the next instead of being allocated
 * (and zeroed, and collected) again. One buffer per role and owner, replaced when the size changes; every user
 * overwrites the whole buffer, so nothing of a previous job leaks into the next.
 */
import type { ModelSession } from '../runtime/session';
import type { TensorFeed } from '../runtime/tensor-feed';

const feeds = new WeakMap<ModelSession, Map<string, TensorFeed>>();

/** `session.createFeed(name, dims)`, the same feed again while the dims stay the same. */
export function reusedFeed(session: ModelSession, name: string, dims: readonly number[]): TensorFeed {
  let byName = feeds.get(session);
  if (!byName) feeds.set(session, (byName = new Map()));
  const kept = byName.get(name);
  if (kept && kept.dims.length === dims.length && kept.dims.every((d, i) => d === dims[i])) return kept;
  const feed = session.createFeed(name, dims);
  byName.set(name, feed);
  return feed;
}

const planes = new Map<string, Float32Array>();

/** A Float32Array of `length` for `role`, the same one again while the length stays the same (contents undefined). */
export function reusedFloat32(role: string, length: number): Float32Array {
  const kept = planes.get(role);
  if (kept?.length === length) return kept;
  const array = new Float32Array(length);
  planes.set(role, array);
  return array;
}
