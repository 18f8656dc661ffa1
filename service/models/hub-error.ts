/** The one error `genfill model install` throws: its kind for callers, a message that says what to do. */
export type HubErrorKind = 'unreachable' | 'tls' | 'auth' | 'not_found' | 'http' | 'interrupted' | 'integrity' | 'layout' | 'disk' | 'usage' | 'cancelled';

export class HubError extends Error {
  /** Whether trying again (resuming) may succeed: a dropped connection, a 5xx, a rate limit. */
  readonly retryable: boolean;

  constructor(
    readonly kind: HubErrorKind,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'HubError';
    this.retryable = options.retryable ?? false;
  }
}
