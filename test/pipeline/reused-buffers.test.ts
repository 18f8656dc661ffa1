import { describe, expect, it } from 'vitest';
import type { ModelSession } from '../../service/runtime/session';
import { TensorFeed } from '../../service/runtime/tensor-feed';
import { reusedFeed, reusedFloat32 } from '../../service/pipeline/reused-buffers';

/** Just enough of a session: counts the feeds it creates. */
function countingSession(): { session: ModelSession; created: () => number } {
  let created = 0;
  const session = { createFeed: (name: string, dims: readonly number[]) => (created++, new TensorFeed(name, 'float32', dims)) } as unknown as ModelSession;
  return { session, created: () => created };
}

describe('per-job buffers reused across jobs', () => {
  it('hands the same feed back for the same session, name and dims, and a new one when the dims change', () => {
    const { session, created } = countingSession();
    const first = reusedFeed(session, 'sample', [1, 3, 16, 8]);
    expect(reusedFeed(session, 'sample', [1, 3, 16, 8])).toBe(first);
    expect(created()).toBe(1);
    const other = reusedFeed(session, 'sample', [1, 3, 8, 16]);
    expect(other).not.toBe(first);
    expect(other.dims).toEqual([1, 3, 8, 16]);
    expect(reusedFeed(session, 'latent_sample', [1, 4, 2, 2]).name).toBe('latent_sample');
    // Another session never shares a feed.
    const { session: second } = countingSession();
    expect(reusedFeed(second, 'sample', [1, 3, 8, 16])).not.toBe(other);
  });

  it('hands the same plane back per role while the length stays the same', () => {
    const plane = reusedFloat32('test.plane', 12);
    expect(reusedFloat32('test.plane', 12)).toBe(plane);
    expect(reusedFloat32('test.other', 12)).not.toBe(plane);
    expect(reusedFloat32('test.plane', 24)).toHaveLength(24);
  });
});
