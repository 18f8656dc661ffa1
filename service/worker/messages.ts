/**
 * Messages between the main thread and the engine worker: plain data with a `type` discriminant. Pixels (the crop
 * in, the composited results and their thumbnail JPEGs out) travel as transferred ArrayBuffers; cancellation is a
 * SharedArrayBuffer flag the engine polls (see cancel-flag.ts).
 */
import type { EngineName, ExecutionProviderChoice } from '../../core/params';
import type { EngineStatus } from '../../core/protocol';
import type { EngineProgress } from '../engine-io';
import type { RegionJob, RegionOutput } from '../jobs/region';
import type { LogLevel } from '../log';
import type { GraphDtype } from '../models/graph-precision';

/** Everything the worker needs to build its engines (workerData). */
export interface EngineSettings {
  modelDir: string | null;
  /** Configs for a single-file model (see ServiceConfig.modelConfigFrom). */
  modelConfigFrom?: string | null;
  /** Precision of graphs genfill builds (see ServiceConfig.graphDtype). */
  graphDtype?: GraphDtype;
  provider: ExecutionProviderChoice;
  lowMemory: boolean;
  batchVariations: boolean;
  /** Module exporting `createEngines(settings): Engine[]` that replaces the built-in engines (tests). */
  engineModule: string | null;
}

export type HostMessage =
  | { type: 'run'; runId: number; engine: EngineName; job: RegionJob; cancelFlag: SharedArrayBuffer }
  | { type: 'dispose' };

/** Why a run ended without output. */
export interface RunFailure {
  kind: 'cancelled' | 'engine' | 'unavailable' | 'internal';
  message: string;
}

export type WorkerMessage =
  | { type: 'status'; engines: EngineStatus[] }
  | { type: 'progress'; runId: number; progress: EngineProgress }
  | { type: 'done'; runId: number; output: RegionOutput }
  | { type: 'failed'; runId: number; failure: RunFailure }
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'disposed' };
