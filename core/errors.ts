/** Error codes shared by service and clients. HTTP status per code lives here so every route agrees. */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_params: 400,
  unsupported_format: 415,
  size_mismatch: 400,
  empty_mask: 400,
  placement_mismatch: 400,
  unauthorized: 401,
  forbidden_host: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  queue_full: 429,
  engine_unavailable: 503,
  engine_failed: 500,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** The request field the error is about, when there is one (e.g. "params.steps", "mask"). */
  field?: string;
}

/** The JSON body of every non-2xx response. */
export interface ErrorBody {
  error: ErrorInfo;
}

/** An error that carries a protocol code; thrown by validation and mapped to HTTP at the edge. */
export class GenfillError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'GenfillError';
    this.code = code;
    this.field = field;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toInfo(): ErrorInfo {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}
