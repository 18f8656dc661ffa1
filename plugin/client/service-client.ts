/** The panel's view of the genfill service (protocol v1). http-client.ts implements it over fetch. */
import type { ErrorCode } from '../../core/errors';
import type { Health, JobCreated, JobParams, JobSnapshot } from '../../core/protocol';
import type { RawImage } from '../raw-image';

/** A job request: the params (without the raw-part descriptions, which the client derives) and the two images. */
export interface JobRequest {
  params: Omit<JobParams, 'image' | 'mask'>;
  image: RawImage;
  mask: RawImage;
}

/** An encoded image (PNG/JPEG) ready for an `<img>`. */
export interface EncodedImage {
  bytes: Uint8Array;
  mimeType: string;
}

export interface ServiceClient {
  readonly url: string;
  health(): Promise<Health>;
  createJob(request: JobRequest): Promise<JobCreated>;
  job(id: string): Promise<JobSnapshot>;
  /** Stops a queued or running job (DELETE). */
  cancel(id: string): Promise<void>;
  /** A result as raw pixels, for inserting. */
  result(id: string, index: number): Promise<RawImage>;
  /** A result encoded for display: a small JPEG thumbnail. */
  resultImage(id: string, index: number): Promise<EncodedImage>;
  /** The latest preview, or null when there is none yet. */
  preview(id: string): Promise<EncodedImage | null>;
}

/**
 * `unreachable`: no HTTP answer at all; `blocked`: UXP refused to send the request (the address is not in the
 * manifest's network permissions); `bad_response`: an answer that isn't genfill protocol.
 */
export type ServiceErrorCode = ErrorCode | 'unreachable' | 'blocked' | 'bad_response';

export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  /** HTTP status, or null when there was no response. */
  readonly status: number | null;

  constructor(code: ServiceErrorCode, message: string, status: number | null) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    this.status = status;
  }
}
