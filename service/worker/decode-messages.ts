/**
 * Messages between the HTTP thread and the decode worker (decode-host.ts ↔ decode-worker.ts). The encoded part moves
 * in and the decoded pixels move back as transferred buffers; a refusal comes back as the GenfillError's fields.
 */
import type { ErrorInfo } from '../../core/errors';
import type { Pixels } from '../imaging/pixels';
import type { PixelRole } from '../jobs/inputs';

export interface DecodeRequest {
  id: number;
  role: PixelRole;
  bytes: Uint8Array;
  contentType: string | undefined;
}

export type DecodeReply = { id: number; pixels: Pixels } | { id: number; error: ErrorInfo };
