/** A job's record in the queue and its wire snapshot. State changes go through the queue only. */
import type { ErrorInfo } from '../../core/errors';
import type { Size } from '../../core/geometry';
import type { EngineName } from '../../core/params';
import type { JobSnapshot, JobState, JobWarning } from '../../core/protocol';
import { TERMINAL_STATES } from '../../core/protocol';
import { CancelFlag } from '../worker/cancel-flag';
import type { CropInputs } from './inputs';
import type { ResolvedParams } from './params';
import { ProgressTracker } from './progress';
import type { ResultImage } from './region';
import { otherWarning } from './warnings';

export interface JobPreview {
  revision: number;
  width: number;
  height: number;
  jpeg: Buffer;
}

/** A finished job's record besides its pixels (ids, params, progress, snapshot strings): about 12 KB, measured. */
const JOB_RECORD_BYTES = 12 * 1024;

export class Job {
  readonly id: string;
  readonly params: ResolvedParams;
  readonly engine: EngineName;
  readonly createdAt = new Date();
  readonly cancel = new CancelFlag();
  readonly progress: ProgressTracker;
  /** Crop pixels; released once the job ends. */
  inputs: CropInputs | null;
  state: JobState = 'queued';
  startedAt: Date | null = null;
  finishedAt: Date | null = null;
  workingSize: Size | null = null;
  preview: JobPreview | null = null;
  /** Previews handed to the encoder so far; numbers them in arrival order (encodes may finish out of order). */
  previewsRequested = 0;
  results: ResultImage[] = [];
  error: ErrorInfo | null = null;
  warnings: JobWarning[];
  /** Removes the finished job when its retention ends. */
  retentionTimer: NodeJS.Timeout | null = null;

  constructor(id: string, params: ResolvedParams, engine: EngineName, inputs: CropInputs) {
    this.id = id;
    this.params = params;
    this.engine = engine;
    this.inputs = inputs;
    this.warnings = inputs.warnings.map(otherWarning);
    this.progress = new ProgressTracker(params.variations, params.steps);
  }

  /** Bytes held by the results and the thumbnails made with them (what the retention budget counts). */
  get resultBytes(): number {
    return this.results.reduce((sum, r) => sum + r.pixels.data.byteLength + (r.thumbnail?.byteLength ?? 0), 0);
  }

  /** Bytes a finished job holds — results, preview, its record and texts — as the retention budget counts them. */
  get retainedBytes(): number {
    const chars = this.params.prompt.length + (this.params.negativePrompt?.length ?? 0) + (this.error?.message.length ?? 0);
    const warningChars = this.warnings.reduce((sum, w) => sum + w.message.length, 0);
    return this.resultBytes + (this.preview?.jpeg.byteLength ?? 0) + JOB_RECORD_BYTES + 2 * (chars + warningChars);
  }

  get terminal(): boolean {
    return TERMINAL_STATES.includes(this.state);
  }

  snapshot(position: number | null): JobSnapshot {
    return {
      id: this.id,
      state: this.state,
      position: this.state === 'queued' ? position : null,
      engine: this.engine,
      createdAt: this.createdAt.toISOString(),
      startedAt: this.startedAt?.toISOString() ?? null,
      finishedAt: this.finishedAt?.toISOString() ?? null,
      progress: this.progress.current,
      previewRevision: this.preview?.revision ?? 0,
      results: this.results.map((r, index) => ({ index, seed: r.seed, width: r.pixels.width, height: r.pixels.height })),
      error: this.error,
      warnings: this.warnings.map((w) => w.message),
      warningDetails: this.warnings.map((w) => ({ ...w })),
      seed: this.params.seed,
      workingSize: this.workingSize,
    };
  }
}
