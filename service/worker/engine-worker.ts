/**
 * The engine worker thread: owns the engines, runs one job at a time — resampling, engine, composite
 * (jobs/region.ts) — and streams progress back. ORT session creation and runs, PatchMatch and the per-pixel work
 * around them block this thread — never the HTTP one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineName } from '../../core/params';
import type { EngineStatus } from '../../core/protocol';
import type { EngineProgress } from '../engine-io';
import type { Engine } from '../engines/engine';
import { CancelledError, EngineError } from '../errors';
import { inpaintRegion } from '../jobs/region';
import { CancelFlag } from './cancel-flag';
import { createEngines, isEngine, type EngineSlot } from './engine-factory';
import type { EngineSettings, HostMessage, RunFailure, WorkerMessage } from './messages';
import { transferList } from './transfer-list';
import { lowerThisThreadsPriority } from './thread-priority';

const STATUS_POLL_MS = 250;

if (!parentPort) throw new Error('engine-worker.ts must run in a worker thread');
const port = parentPort;
lowerThisThreadsPriority();
const settings = workerData as EngineSettings;

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

const log = (message: string) => post({ type: 'log', level: 'info', message });
const slots: Map<EngineName, EngineSlot> = await createEngines(settings, log);

function statuses(): EngineStatus[] {
  return [...slots.values()].map((slot) => (isEngine(slot) ? slot.status() : slot));
}

// Engines change state on their own (loading → ready); tell the host whenever the picture changes.
let lastStatus = '';
function publishStatus(): void {
  const engines = statuses();
  const text = JSON.stringify(engines);
  if (text === lastStatus) return;
  lastStatus = text;
  post({ type: 'status', engines });
}
publishStatus();
const statusTimer = setInterval(publishStatus, STATUS_POLL_MS);

/** A standalone copy of `bytes` whose buffer can be transferred without detaching anything the engine holds. */
function ownedCopy(bytes: Uint8Array): Uint8Array {
  return bytes.slice();
}

function toFailure(error: unknown): RunFailure {
  // Variations finished before a cancel come back composited, as a result (region.ts): a failure carries none.
  if (error instanceof CancelledError) return { kind: 'cancelled', message: 'cancelled' };
  if (error instanceof EngineError) return { kind: 'engine', message: error.message };
  return { kind: 'internal', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

/** The engine by name, or an EngineError saying why it cannot run. */
function engineNamed(name: EngineName): Engine {
  const slot = slots.get(name);
  if (slot && isEngine(slot)) return slot;
  throw new EngineError(`the ${name} engine is unavailable: ${slot ? (slot.reason ?? slot.state) : 'not built'}`);
}

async function run(message: Extract<HostMessage, { type: 'run' }>): Promise<void> {
  const { runId } = message;
  try {
    engineNamed(message.engine);
  } catch (error) {
    post({ type: 'failed', runId, failure: { kind: 'unavailable', message: (error as Error).message } });
    return;
  }
  const flag = new CancelFlag(message.cancelFlag);
  const onProgress = (progress: EngineProgress) => {
    publishStatus();
    if (!progress.preview) {
      post({ type: 'progress', runId, progress });
      return;
    }
    const rgb = ownedCopy(progress.preview.rgb);
    post({ type: 'progress', runId, progress: { ...progress, preview: { ...progress.preview, rgb } } }, transferList([rgb]));
  };
  try {
    const output = await inpaintRegion(engineNamed, message.engine, message.job, { onProgress, isCancelled: () => flag.cancelled });
    // The results and their thumbnails are this run's own buffers (fresh composites, owned copies of the JPEGs):
    // they move to the main thread unless native code made them (then they are copied; see transfer-list.ts).
    const buffers = output.results.flatMap((result) => (result.thumbnail ? [result.pixels.data, result.thumbnail] : [result.pixels.data]));
    post({ type: 'done', runId, output }, transferList(buffers));
  } catch (error) {
    post({ type: 'failed', runId, failure: toFailure(flag.cancelled && !(error instanceof EngineError) ? new CancelledError() : error) });
  } finally {
    publishStatus();
  }
}

async function dispose(): Promise<void> {
  clearInterval(statusTimer);
  for (const slot of slots.values()) {
    if (isEngine(slot)) await slot.dispose().catch(() => {});
  }
  post({ type: 'disposed' });
  port.close();
}

port.on('message', (message: HostMessage) => {
  switch (message.type) {
    case 'run':
      void run(message);
      break;
    case 'dispose':
      void dispose();
      break;
  }
});

