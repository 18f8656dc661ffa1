/**
 * Worker threads (the engine, the image decoder, classic fill threads) run at nice 10 on Linux, where a nice value
 * belongs to the calling thread alone and threads it starts inherit it (onnxruntime's CPU threads too): when the
 * cores are contested, the HTTP thread (nice 0) gets one first and its event-loop delay stays low (bench, 4096²
 * job with 8 results: max 46–59 ms → 16–23 ms). libuv's pool threads, where sharp/libvips work, were started by
 * the HTTP thread and stay at 0. Elsewhere the value would lower the whole service, so not there.
 */
import { setPriority } from 'node:os';

export const WORKER_THREAD_NICE = 10;

export function lowerThisThreadsPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(WORKER_THREAD_NICE);
  } catch {
    // A sandbox that refuses: normal priority.
  }
}
