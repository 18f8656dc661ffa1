/** Messages between the classic engine and its variation threads (see variation-pool.ts). */
import type { EnginePreview } from '../../engine-io';
import type { ClassicSettings } from './settings';

/** One variation to fill. The crop lives in shared memory, so every thread of a job reads the same bytes. */
export interface FillRequest {
  /** Identifies the crop: a thread plans once per job and reuses the plan for the job's next variations. */
  jobKey: number;
  /** RGB and gray, on SharedArrayBuffers. */
  image: Uint8Array;
  mask: Uint8Array;
  width: number;
  height: number;
  threshold: number;
  settings: ClassicSettings;
  variation: number;
  seed: number;
  /** Only one variation sends previews (the panel shows one). */
  previews: boolean;
  /** An Int32 the engine sets to 1 to stop every variation before its next step. */
  cancel: SharedArrayBuffer;
}

export type FillReply =
  | { type: 'step'; variation: number; step: number; steps: number; preview?: EnginePreview }
  | { type: 'done'; variation: number; rgb: Uint8Array; warnings: string[] }
  | { type: 'failed'; variation: number; cancelled: boolean; message: string };
