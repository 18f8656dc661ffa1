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
  forbidden_origin: 403,
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

/** `text` cut to `max` characters (with an ellipsis when cut). */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * A client-supplied value as it may appear in an error message: JSON, cut to `max` characters. Errors name the bad
 * value but never echo it whole (a 100 MiB prompt must not come back as a 100 MiB error).
 */
export function excerpt(value: unknown, max = 80): string {
  if (typeof value === 'string') return clip(JSON.stringify(value.slice(0, max + 1)), max);
  try {
    return clip(JSON.stringify(value) ?? String(value), max);
  } catch {
    return clip(String(value), max);
  }
}
