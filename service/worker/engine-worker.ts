/**
 * The engine worker thread: owns the engines, runs one job at a time, streams progress back. ORT session creation
 * and runs, and PatchMatch, block this thread — never the HTTP one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineName } from '../../core/params';
import type { EngineStatus } from '../../core/protocol';
import { CancelledError, EngineError } from '../errors';
import type { EngineOutput, EngineProgress } from '../engine-io';
import { CancelFlag } from './cancel-flag';
import { createEngines, isEngine, type EngineSlot } from './engine-factory';
import type { EngineSettings, HostMessage, RunFailure, WorkerMessage } from './messages';

const STATUS_POLL_MS = 250;

if (!parentPort) throw new Error('engine-worker.ts must run in a worker thread');
const port = parentPort;
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
  if (error instanceof CancelledError) {
    return { kind: 'cancelled', message: 'cancelled', finished: error.finished.map((image) => ({ ...image, rgb: ownedCopy(image.rgb) })) };
  }
  if (error instanceof EngineError) return { kind: 'engine', message: error.message };
  return { kind: 'internal', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

async function run(message: Extract<HostMessage, { type: 'run' }>): Promise<void> {
  const { runId } = message;
  const slot = slots.get(message.engine);
  if (!slot || !isEngine(slot)) {
    const reason = slot ? (slot.reason ?? slot.state) : 'not built';
    post({ type: 'failed', runId, failure: { kind: 'unavailable', message: `the ${message.engine} engine is unavailable: ${reason}` } });
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
    post({ type: 'progress', runId, progress: { ...progress, preview: { ...progress.preview, rgb } } }, [rgb.buffer as ArrayBuffer]);
  };
  try {
    const output = await slot.run(message.job, { onProgress, isCancelled: () => flag.cancelled });
    const images = output.images.map((image) => ({ ...image, rgb: ownedCopy(image.rgb) }));
    const result: EngineOutput = { images, warnings: output.warnings };
    post({ type: 'done', runId, output: result }, images.map((image) => image.rgb.buffer as ArrayBuffer));
  } catch (error) {
    const failure = toFailure(flag.cancelled && !(error instanceof EngineError || error instanceof CancelledError) ? new CancelledError() : error);
    post({ type: 'failed', runId, failure }, (failure.finished ?? []).map((image) => image.rgb.buffer as ArrayBuffer));
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

