import { MessageChannel, markAsUntransferable, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { transferList } from '../../service/worker/transfer-list';

describe('transferList', () => {
  it('lists each ArrayBuffer once and leaves out shared memory', () => {
    const buffer = new ArrayBuffer(16);
    const shared = new Uint8Array(new SharedArrayBuffer(8));
    const list = transferList([new Uint8Array(buffer), new Uint8Array(buffer, 8), shared, new Float32Array(4)]);
    expect(list).toHaveLength(2);
    expect(list[0]).toBe(buffer);
  });

  it('leaves out a buffer marked untransferable where Node can tell (Node ≥ 21)', async () => {
    // Node 20 has no isMarkedAsUntransferable (it copies such buffers instead): stand one in so this runs everywhere.
    const marked = new WeakSet<object>();
    vi.resetModules();
    vi.doMock('node:worker_threads', async (importOriginal) => ({
      ...(await importOriginal<object>()),
      isMarkedAsUntransferable: (value: object) => marked.has(value),
    }));
    try {
      const { transferList: withDetection } = await import('../../service/worker/transfer-list');
      const native = new Uint8Array(8);
      marked.add(native.buffer);
      const own = new Uint8Array(8);
      expect(withDetection([native, own])).toEqual([own.buffer]);
    } finally {
      vi.doUnmock('node:worker_threads');
      vi.resetModules();
    }
  });

  it('lets a message holding an untransferable buffer post, copying that buffer and moving the rest', () => {
    const native = new Uint8Array([1, 2, 3, 4]);
    markAsUntransferable(native.buffer);
    const own = new Uint8Array([5, 6]);
    const { port1, port2 } = new MessageChannel();
    try {
      // On Node ≥ 21 listing `native` here would throw DataCloneError.
      port1.postMessage({ native, own }, transferList([native, own]));
      const received = receiveMessageOnPort(port2)?.message as { native: Uint8Array; own: Uint8Array };
      expect([...received.native]).toEqual([1, 2, 3, 4]);
      expect([...received.own]).toEqual([5, 6]);
      expect(native.byteLength).toBe(4);
      expect(own.byteLength).toBe(0);
    } finally {
      port1.close();
      port2.close();
    }
  });
});
